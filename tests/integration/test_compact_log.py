"""Compact logs: the same events as a plain log in far fewer bytes, exported back to the
plain log bit for bit, replayed as they are read, a torn tail reported."""

from __future__ import annotations

import pytest
import zstandard

from massca.actors import replay_file
from massca.cli import main
from massca.errors import ConfigurationError, LogFormatError
from massca.log import export_plain, read_log
from tests.integration.test_replay import record


@pytest.fixture(params=["native", "mango"])
def both(request, tmp_path):
    """The same run recorded plain and compact on one runtime."""
    plain = record(tmp_path / "run.jsonl", request.param, steps=4)
    compact = record(tmp_path / "run.zst", request.param, steps=4)
    return plain, compact


def test_a_compact_log_holds_the_plain_logs_events_in_fewer_bytes(both) -> None:
    plain, compact = both
    assert compact.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd
    one, other = read_log(plain), read_log(compact)
    assert other.header.compact
    assert not one.header.compact
    assert one.events == other.events
    assert compact.stat().st_size * 8 < plain.stat().st_size
    assert replay_file(compact)[1].ok


def test_export_gives_the_plain_log_bit_for_bit(both, tmp_path) -> None:
    plain, compact = both
    out = tmp_path / "exported.jsonl"
    exported = export_plain(compact, out)
    assert exported.events == len(read_log(plain).events)
    assert out.read_bytes() == plain.read_bytes()
    assert replay_file(out)[1].ok


def test_a_decompressed_compact_log_reads_the_same(tmp_path) -> None:
    compact = record(tmp_path / "run.zst")
    lines = tmp_path / "run.lines"
    lines.write_bytes(zstandard.ZstdDecompressor().decompressobj().decompress(compact.read_bytes()))
    assert read_log(lines).events == read_log(compact).events


def test_a_cut_compact_log_reports_its_torn_line_and_replays_what_it_holds(tmp_path) -> None:
    compact = record(tmp_path / "run.zst", steps=4)
    whole = compact.read_bytes()
    compact.write_bytes(whole[: len(whole) * 2 // 3])
    contents = read_log(compact)
    _, report = replay_file(compact)
    assert contents.torn_line is not None
    assert report.torn_line == contents.torn_line
    assert report.ok
    assert (
        0
        < report.messages
        == len(contents.events)
        < len(read_log(record(tmp_path / "w.zst", steps=4)).events)
    )


def test_a_bad_compact_line_is_named(tmp_path) -> None:
    compact = record(tmp_path / "run.zst", steps=1)
    text = zstandard.ZstdDecompressor().decompressobj().decompress(compact.read_bytes())
    lines = text.split(b"\n")
    lines[3] = b'[999,0,"answer",{}]'
    bad = tmp_path / "bad.lines"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(
        LogFormatError, match=r"bad.lines: line 4 is not a compact line: no agent number 999"
    ):
        read_log(bad)


def test_massca_log_export_writes_plain_lines_and_refuses_to_overwrite(tmp_path, capsys) -> None:
    compact = record(tmp_path / "run.zst", steps=2)
    assert main(["log", "export", str(compact)]) == 0
    out = tmp_path / "run.jsonl"
    events = len(read_log(compact).events)
    assert capsys.readouterr().out == f"wrote {out}: {events:,} events\n"
    assert read_log(out).events == read_log(compact).events
    assert main(["log", "export", str(compact)]) == 2
    assert f"massca: error: {out} exists; give --overwrite to replace it" in capsys.readouterr().err
    assert main(["log", "export", str(compact), "--overwrite"]) == 0
    with pytest.raises(ConfigurationError, match="that is the log itself"):
        export_plain(out, out, overwrite=True)
    assert main(["replay", str(out)]) == 0


def test_a_damaged_compressed_stream_is_one_clear_error(tmp_path) -> None:
    compact = record(tmp_path / "run.zst", steps=2)
    data = bytearray(compact.read_bytes())
    data[4:12] = b"\xff" * 8  # the frame header
    compact.write_bytes(bytes(data))
    with pytest.raises(LogFormatError, match=r"run.zst: a damaged zstd stream"):
        read_log(compact)


def _small_log(path, **options):
    from massca.actors import ProtocolCodec
    from massca.log import EventLog, LogHeader
    from massca.model import cells_hierarchy

    hierarchy = cells_hierarchy(cells=1, depth=0, loads=1, generators=1)
    return EventLog(path, LogHeader("test", hierarchy, {}), ProtocolCodec(), **options)


def test_the_writer_threads_error_is_raised_to_the_caller_not_lost() -> None:
    log = _small_log("/dev/full", compact=True)  # every write fails: no space left
    with pytest.raises(OSError, match="No space left"):
        log.sync()
    with pytest.raises(OSError, match="No space left"):
        log.close()


def test_a_closed_compact_log_holds_every_event_flushed_step_by_step(tmp_path) -> None:
    from massca.actors.messages import REQUEST

    log = _small_log(tmp_path / "log.zst")
    for time in range(200):  # far more flushes than the writer may lag behind
        log.begin(time, 0)
        log.recorder(("coordinator", "cell-0", REQUEST))
    log.close()
    events = read_log(tmp_path / "log.zst").events
    assert [e.time for e in events] == list(range(200))
    assert read_log(tmp_path / "log.zst").torn_line is None
