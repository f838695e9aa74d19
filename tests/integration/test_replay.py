"""Record a run, replay it; tamper with the record and replay names where it diverges."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from massca.actors import replay_file
from massca.actors import runtime as runtime_module
from massca.cli import main
from massca.compat.runtimes import open_runtime
from massca.errors import LogFormatError
from massca.log import FORMAT_VERSION, read_log
from massca.model import Strategy, cells_hierarchy
from massca.workload import synthetic_states
from tests.conftest import run_on


def record(
    path: Path, runtime_kind: str = "native", steps: int = 3, strategy: Strategy = Strategy()
) -> Path:
    hierarchy = cells_hierarchy(cells=2, depth=2, loads=3, generators=2)

    async def scenario():
        async with open_runtime(runtime_kind, hierarchy, log=path, strategy=strategy) as runtime:
            for step in range(steps):
                first = await runtime.step(step * 900, 0, synthetic_states(hierarchy, 9, step))
                await runtime.step(step * 900, 1, dict(first.targets))

    run_on(runtime_kind, scenario())
    return path


def rewrite(path: Path, change) -> None:
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(change(lines)))


def test_a_recorded_run_replays_with_zero_divergences(runtime_kind, tmp_path) -> None:
    path = record(tmp_path / "run.jsonl", runtime_kind)
    header, report = replay_file(path)
    contents = read_log(path)
    assert header == contents.header
    assert report.ok
    assert (report.steps, report.iterations) == (3, 6)
    assert report.messages == len(contents.events)
    assert report.agents == len(contents.header.hierarchy)
    assert report.torn_line is None


def test_a_log_flushed_mid_step_holds_the_same_events_and_replays(tmp_path, monkeypatch) -> None:
    once = read_log(record(tmp_path / "once.jsonl")).events
    monkeypatch.setattr(runtime_module, "YIELD_EVERY", 7)
    monkeypatch.setattr(runtime_module, "FLUSH_EVERY", 5)
    path = record(tmp_path / "chunked.jsonl")
    assert read_log(path).events == once
    assert replay_file(path)[1].ok


def test_an_altered_answer_is_reported_with_step_agent_and_both_bodies(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl")
    events = read_log(path).events
    target = next(
        e for e in events if e.kind == "answer" and e.sender == "cell-1.ctl-1" and e.time == 900
    )

    def alter(lines):
        line = lines[target.seq]  # line 0 is the header, line n is seq n
        data = orjson.loads(line)
        data["body"]["consumption"][2] += 0.5
        lines[target.seq] = orjson.dumps(data)
        return lines

    rewrite(path, alter)
    _, report = replay_file(path)
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.time, divergence.iteration) == (900, 0)
    assert divergence.agent == "cell-1.ctl-1"
    assert divergence.kind == "answer"
    assert divergence.seq == target.seq
    assert divergence.expected != divergence.actual


def test_a_torn_last_line_is_reported_and_everything_before_it_replays(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 40])  # cut into the last event
    _, report = replay_file(path)
    contents = read_log(path)
    assert contents.torn_line == len(whole.split(b"\n")) - 1
    assert report.torn_line == contents.torn_line
    assert report.ok
    assert report.messages == len(contents.events) > 0


def test_a_log_of_another_format_version_is_refused(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)

    def bump(lines):
        header = orjson.loads(lines[0])
        header["version"] = 99
        lines[0] = orjson.dumps(header)
        return lines

    rewrite(path, bump)
    with pytest.raises(
        LogFormatError, match=f"format version 99, but this massca reads version {FORMAT_VERSION}"
    ):
        read_log(path)


def test_a_log_of_the_previous_format_is_refused_clearly(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)

    def downgrade(lines):
        header = orjson.loads(lines[0])
        header["version"] = 5  # its units confirmed their updates: replay would diverge
        lines[0] = orjson.dumps(header)
        return lines

    rewrite(path, downgrade)
    with pytest.raises(LogFormatError, match="format version 5, but this massca reads version 6"):
        read_log(path)


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "empty file"),
        (b"not json\n", "line 1 is not JSON"),
        (b'{"format": "other"}\n', "not a massca event log"),
    ],
)
def test_files_that_are_no_massca_log_are_refused(tmp_path, content, phrase) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(LogFormatError, match=phrase):
        read_log(path)


def test_a_malformed_line_in_the_middle_is_an_error_naming_it(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)
    rewrite(path, lambda lines: [*lines[:5], b"{broken", *lines[5:]])
    with pytest.raises(LogFormatError, match="line 6 is not a massca event"):
        read_log(path)


def test_reading_a_log_never_runs_code_from_it(tmp_path) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)
    marker = tmp_path / "pwned"
    payload = {"__reduce__": f"open({str(marker)!r}, 'w')", "py/object": "os.system"}

    def inject(lines):
        data = orjson.loads(lines[3])
        data["body"] = payload
        lines[3] = orjson.dumps(data)
        return lines

    rewrite(path, inject)
    _, report = replay_file(path)
    assert not report.ok  # the odd body is reported as a divergence, never executed
    assert not marker.exists()


def test_the_cli_replays_and_filters(tmp_path, capsys) -> None:
    path = record(tmp_path / "run.jsonl")
    assert main(["replay", str(path), "--agent", "cell-0", "--step", "900", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "result: 0 divergences" in out
    assert "messages of agent 'cell-0' and time 900:" in out
    assert "coordinator -> cell-0, cell-1  request" in out
    assert "more (raise --limit to see them)" in out
    unit = read_log(path).header.hierarchy.units[4]
    assert main(["replay", str(path), "--agent", unit, "--step", "0", "--limit", "1"]) == 0
    out = capsys.readouterr().out  # the multicast update: shortened, the unit's own state
    others = len(read_log(path).header.hierarchy.units) - 1
    assert f"coordinator -> {unit} (+{others} more)  update" in out
    assert f'{{"states":{{"{unit}":{{"production":[' in out


def test_the_cli_exits_1_on_divergence_and_2_on_bad_input(tmp_path, capsys) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)

    def misreport(lines):  # the report's first class is not what the coordinator sent
        return [
            line.replace(b'"balances":{"cell-0":"', b'"balances":{"cell-0":"mis', 1)
            for line in lines
        ]

    rewrite(path, misreport)
    assert main(["replay", str(path)]) == 1
    assert "divergence at seq" in capsys.readouterr().out
    rewrite(path, lambda lines: [lines[0], *lines[2:]])  # drop the first event
    assert main(["replay", str(path)]) == 2
    assert "line 2 breaks the log's structure: seq 2, expected 1" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "missing.jsonl")]) == 2
    assert "massca: error: cannot read the log" in capsys.readouterr().err
    assert main(["replay", str(path), "--agent", "nobody"]) == 2


def test_bench_keeps_a_log_that_replays_in_a_separate_process(tmp_path) -> None:
    log = tmp_path / "bench.jsonl"
    bench = subprocess.run(
        [
            sys.executable,
            "-m",
            "massca.cli",
            "bench",
            "--cells",
            "2",
            "--steps",
            "2",
            "--warmup",
            "0",
            "--log",
            str(log),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = orjson.loads(bench.stdout)
    assert figures["agents"] == 1 + 2 * (1 + 1 + 27)
    assert figures["messages_per_step"] == 2 + 1 + 2 * 58 + 2 * 5
    assert figures["log"] is True
    replay = subprocess.run(
        [sys.executable, "-m", "massca.cli", "replay", str(log)],
        capture_output=True,
        text=True,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "replayed: 2 steps, 2 iterations, 258 messages" in replay.stdout


def test_the_strategy_is_recorded_and_replay_rebuilds_it_or_refuses_another(tmp_path) -> None:
    optimal = Strategy.of("optimal", "merit", priorities={"cell-0.gen-0": 1.0})
    path = record(tmp_path / "run.jsonl", strategy=optimal)
    assert read_log(path).header.config["strategy"] == optimal.describe()
    assert replay_file(path)[1].ok  # a built-in strategy is rebuilt from the header
    expected = "recorded with the strategy optimal/merit, but replay was given cellular/"
    with pytest.raises(LogFormatError, match=expected):
        replay_file(path, strategy=Strategy())


def nobody_moves(cells, config):
    """A user's between-cells decision: every cell keeps its state."""
    return {cell: view.state for cell, view in cells.items()}


def test_a_log_of_a_users_function_replays_from_python_with_that_function(tmp_path, capsys) -> None:
    strategy = Strategy.of(nobody_moves)
    path = record(tmp_path / "run.jsonl", strategy=strategy)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "tests.integration.test_replay.nobody_moves" in err
    assert "massca.actors.replay_file(path, strategy=...)" in err
    _, report = replay_file(path, strategy=strategy)
    assert report.ok
    assert report.steps == 3


def test_replay_compares_encodings_so_an_equal_but_differently_written_number_diverges(
    tmp_path,
) -> None:
    path = record(tmp_path / "run.jsonl", steps=1)

    def rewrite_a_zero(lines):  # [0,0,-0.0] == [0.0,0.0,0.0] when decoded, not when written
        answer = next(
            i
            for i, line in enumerate(lines)
            if b'"kind":"answer"' in line and b"[0.0,0.0,0.0]" in line
        )
        lines[answer] = lines[answer].replace(b"[0.0,0.0,0.0]", b"[0,0,-0.0]", 1)
        return lines

    rewrite(path, rewrite_a_zero)
    _, report = replay_file(path)
    assert not report.ok
    assert report.divergence.kind == "answer"


def test_a_cohda_run_replays_and_an_altered_view_is_found(runtime_kind, tmp_path) -> None:
    strategy = Strategy.of("cohda")
    path = record(tmp_path / "run.jsonl", runtime_kind, strategy=strategy)
    _, report = replay_file(path)
    assert report.ok
    events = read_log(path).events
    views = [e for e in events if e.kind == "cohda_view"]
    assert views, "the run negotiated"
    assert {e.kind for e in events} >= {"cohda_start", "cohda_round", "cohda_report", "cohda_end"}
    target = views[len(views) // 2]

    def alter(lines):
        data = orjson.loads(lines[target.seq])
        data["body"]["candidate"]["performance"] -= 1.0
        lines[target.seq] = orjson.dumps(data)
        return lines

    rewrite(path, alter)
    _, report = replay_file(path)
    divergence = report.divergence
    assert divergence is not None
    assert divergence.seq == target.seq
    assert divergence.agent == target.sender
    assert divergence.kind == "cohda_view"
