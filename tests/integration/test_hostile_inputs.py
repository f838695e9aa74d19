"""The hostile new user: every bad input is one clear line and the documented exit code.

Cases over the command line (in-process `massca.cli.main`), configuration files, event
logs (a recorded log altered one way each) and the mosaik API (MAS_CONFIG and
``create``). Each asserts the exact exit code and the exact message. Replay's law over
random alterations is `property_tests/test_log_tampering.py`.
"""

from __future__ import annotations

import json
import math
import shlex

import pytest

from massca.bench import BenchConfig, run_bench
from massca.cli import main
from massca.compat.mosaik import MasConfig, MosaikAgents
from massca.errors import ConfigurationError

RUN_DAYS = "must be > 0 and at most 366 (the profiles cover one year)"
RUN_UNTIL = (
    "must be a whole number of seconds > 0 and at most 31622400 (the profiles cover one year)"
)
STEP_900 = "must be a multiple of 900 s (the profiles' 15 min)"
START = "give a date like '2016-06-01 00:00'"
QUARTER = "must fall on a quarter hour (the profiles' 15-minute slots), e.g. '2016-06-01 00:00'"
VALID_KEYS = (
    "valid: broker, cell_delays, cells, days, deadline, delay, depth, der_scale, flexibility, "
    "grid_limit, horizon, interface_scale, log, loss, placement, processes, runtime, seed, "
    "soc0, start, step, storage_hours, strategy, transport, until, within"
)


def usage(command: str, text: str) -> str:
    return f"massca {command}: error: {text} (see massca {command} --help)"


COMMAND_LINES = [
    ("run --cells 0", "massca: error: cells = 0: need a whole number >= 1"),
    ("run --cells -1", "massca: error: cells = -1: need a whole number >= 1"),
    ("run --cells two", usage("run", "argument --cells: invalid int value: 'two'")),
    ("run --cells 1.5", usage("run", "argument --cells: invalid int value: '1.5'")),
    (
        "run --depth -1",
        "massca: error: depth = -1: must be 0..31 (a cell has 31 units and every controller "
        "needs one)",
    ),
    (
        "run --depth 32",
        "massca: error: depth = 32: must be 0..31 (a cell has 31 units and every controller "
        "needs one)",
    ),
    ("run --depth x", usage("run", "argument --depth: invalid int value: 'x'")),
    ("run --days 0", f"massca: error: days = 0.0: {RUN_DAYS}"),
    ("run --days -1", f"massca: error: days = -1.0: {RUN_DAYS}"),
    ("run --days inf", f"massca: error: days = inf: {RUN_DAYS}"),
    ("run --days nan", f"massca: error: days = nan: {RUN_DAYS}"),
    ("run --days 1e308", f"massca: error: days = 1e+308: {RUN_DAYS}"),
    ("run --days 367", f"massca: error: days = 367.0: {RUN_DAYS}"),
    (
        "run --days 0.00001",
        "massca: error: the run covers 0 s, less than one step of 900 s: give more --days or "
        "--until",
    ),
    ("run --until 0", f"massca: error: until = 0: {RUN_UNTIL}"),
    ("run --until -900", f"massca: error: until = -900: {RUN_UNTIL}"),
    (
        "run --until 99999999999999999999",
        f"massca: error: until = 99999999999999999999: {RUN_UNTIL}",
    ),
    ("run --until abc", usage("run", "argument --until: invalid int value: 'abc'")),
    (
        "run --days 1 --until 900",
        usage("run", "argument --until: not allowed with argument --days"),
    ),
    ("run --step 600", f"massca: error: step = 600: {STEP_900}"),
    ("run --step 0", f"massca: error: step = 0: {STEP_900}"),
    ("run --step -900", f"massca: error: step = -900: {STEP_900}"),
    ("run --step 1e3", usage("run", "argument --step: invalid int value: '1e3'")),
    ("run --start tomorrow", f"massca: error: start = 'tomorrow': {START}"),
    ("run --start '2016-13-01 00:00'", f"massca: error: start = '2016-13-01 00:00': {START}"),
    ("run --start ''", f"massca: error: start = '': {START}"),
    (
        "run --start 2016-06-01T00:00+05:00",
        "massca: error: start = '2016-06-01T00:00+05:00': give a local time without a time "
        "zone (the profiles' own time)",
    ),
    (
        "run --start '2016-06-01 00:07:13'",
        f"massca: error: start = '2016-06-01 00:07:13': {QUARTER}",
    ),
    ("run --seed abc", usage("run", "argument --seed: invalid int value: 'abc'")),
    ("run --seed 1.5", usage("run", "argument --seed: invalid int value: '1.5'")),
    (
        "run --runtime threads",
        usage(
            "run", "argument --runtime: invalid choice: 'threads' (choose from 'native', 'mango')"
        ),
    ),
    ("run --flexibility 1", "massca: error: flexibility = 1.0: a load's share, 0 <= x < 1"),
    ("run --flexibility -0.1", "massca: error: flexibility = -0.1: a load's share, 0 <= x < 1"),
    ("run --flexibility nan", "massca: error: flexibility = nan: a load's share, 0 <= x < 1"),
    ("run --der-scale inf", "massca: error: der_scale = inf: a finite factor >= 0 for the DER"),
    ("run --der-scale -1", "massca: error: der_scale = -1.0: a finite factor >= 0 for the DER"),
    ("run --der-scale nan", "massca: error: der_scale = nan: a finite factor >= 0 for the DER"),
    (
        "run --horizon 3",
        "massca: error: horizon = 3: only the cohda strategy plans over a horizon (give "
        "--strategy cohda, or horizon 1)",
    ),
    (
        "run --strategy cohda --horizon 0",
        "massca: error: horizon = 0: a whole number of intervals >= 1",
    ),
    (
        "run --within best",
        usage(
            "run",
            "argument --within: invalid choice: 'best' (choose from 'proportional', 'merit', "
            "'cohda')",
        ),
    ),
    (
        "run --interface-scale -1",
        "massca: error: interface_scale = -1.0: a finite factor >= 0 for the cells' interface "
        "limits",
    ),
    (
        "run --interface-scale inf",
        "massca: error: interface_scale = inf: a finite factor >= 0 for the cells' interface "
        "limits",
    ),
    ("run --grid-limit -5", "massca: error: grid_limit = -5.0: MW >= 0, or none for no limit"),
    ("run --grid-limit nan", "massca: error: grid_limit = nan: MW >= 0, or none for no limit"),
    (
        "run --storage-hours -1",
        "massca: error: storage_hours = -1.0: a battery's hours at rated power, a finite number "
        ">= 0 (0: no batteries)",
    ),
    (
        "run --storage-hours nan",
        "massca: error: storage_hours = nan: a battery's hours at rated power, a finite number "
        ">= 0 (0: no batteries)",
    ),
    (
        "run --storage-hours two",
        usage("run", "argument --storage-hours: invalid float value: 'two'"),
    ),
    (
        "run --soc0 1.5",
        "massca: error: soc0 = 1.5: the batteries' starting state of charge, 0 <= x <= 1",
    ),
    (
        "run --soc0 -0.1",
        "massca: error: soc0 = -0.1: the batteries' starting state of charge, 0 <= x <= 1",
    ),
    (
        "run --soc0 nan",
        "massca: error: soc0 = nan: the batteries' starting state of charge, 0 <= x <= 1",
    ),
    (
        "run --strategy best",
        usage(
            "run",
            "argument --strategy: invalid choice: 'best' (choose from 'global', 'cellular', "
            "'optimal', 'cohda')",
        ),
    ),
    ("run --out ''", 'massca: error: --out "": give a folder'),
    ("run --bogus", "massca: error: unrecognized arguments: --bogus (see massca --help)"),
    (
        "run --config /nonexistent.toml",
        "massca: error: cannot read config file '/nonexistent.toml': No such file or directory",
    ),
    (
        "compare --strategies best",
        "massca: error: --strategies best: give distinct names from global, cellular, "
        "optimal, cohda",
    ),
    (
        "compare --strategies cellular cellular",
        "massca: error: --strategies cellular cellular: give distinct names from global, "
        "cellular, optimal, cohda",
    ),
    (
        "compare --strategies",
        usage("compare", "argument --strategies: expected at least one argument"),
    ),
    ("compare --cells 0", "massca: error: cells = 0: need a whole number >= 1"),
    ("compare --days inf", f"massca: error: days = inf: {RUN_DAYS}"),
    ("compare --out ''", 'massca: error: --out "": give a folder'),
    (
        "scale --cells 2 0 --days 0.05",
        "massca: error: cells 0, depth 1: cells = 0: need a whole number >= 1",
    ),
    ("scale --cells 2 2 --days 0.05", "massca: error: --cells 2 given twice"),
    ("scale --attempts 0", "massca: error: attempts = 0: need a whole number >= 1"),
    ("scale --cells x", usage("scale", "argument --cells: invalid int value: 'x'")),
    (
        "scale --runtime threads",
        usage(
            "scale", "argument --runtime: invalid choice: 'threads' (choose from 'native', 'mango')"
        ),
    ),
    (
        "scale --cells 2 --days 0.00001",
        "massca: error: cells 2, depth 1: the run covers 0 s, less than one step of 900 s: give "
        "more --days or --until",
    ),
    ("bench --cells 0", "massca: error: cells = 0: need at least 1 cell"),
    ("bench --cells -5", "massca: error: cells = -5: need at least 1 cell"),
    ("bench --cells abc", usage("bench", "argument --cells: invalid int value: 'abc'")),
    (
        "bench --depth -1",
        "massca: error: depth = -1: must be >= 0 (0 puts units directly under the cell)",
    ),
    (
        "bench --depth 100",
        "massca: error: depth = 100 exceeds the 27 units of a cell: every controller needs a "
        "unit; use depth <= 27",
    ),
    ("bench --steps 0", "massca: error: steps = 0: need at least 1"),
    ("bench --steps -1", "massca: error: steps = -1: need at least 1"),
    ("bench --warmup -1", "massca: error: warmup = -1: must be >= 0"),
    ("bench --storage -1", "massca: error: storage = -1: batteries per cell, >= 0"),
    (
        "bench --strategy best",
        usage(
            "bench",
            "argument --strategy: invalid choice: 'best' (choose from 'global', 'cellular', "
            "'optimal', 'cohda')",
        ),
    ),
    (
        "bench --within best",
        usage(
            "bench",
            "argument --within: invalid choice: 'best' (choose from 'proportional', 'merit', "
            "'cohda')",
        ),
    ),
    (
        "bench --runtime threads",
        usage(
            "bench", "argument --runtime: invalid choice: 'threads' (choose from 'native', 'mango')"
        ),
    ),
    ("replay", usage("replay", "the following arguments are required: LOG")),
    (
        "replay /nonexistent.jsonl",
        "massca: error: cannot read the log '/nonexistent.jsonl': No such file or directory",
    ),
    ("log", usage("log", "the following arguments are required: ACTION")),
    ("log export", usage("log export", "the following arguments are required: LOG")),
    (
        "log export /nonexistent.zst",
        "massca: error: cannot read the log '/nonexistent.zst': No such file or directory",
    ),
    ('log export /nonexistent.zst --out ""', 'massca: error: --out "": give a file name'),
    (
        "run --delay x",
        "massca: error: --delay 'x': give milliseconds, or CELL=MS such as cell-1=40",
    ),
    ("run --delay 5 6", "massca: error: --delay: give one delay for every link, not '6' too"),
    ("run --delay -1", "massca: error: network: delay -1.0 ms: give a finite number >= 0"),
    (
        "run --delay 5 cell-7=40",
        "massca: error: cell_delays: no cell 'cell-7' (the cells are cell-0 to cell-1)",
    ),
    (
        "run --delay cell-1=inf",
        "massca: error: cell_delays: cell-1 = inf: give ms, a finite number >= 0",
    ),
    ("run --loss 1.5", "massca: error: network: loss 1.5: give a probability from 0 to 1"),
    ("run --loss nan", "massca: error: network: loss nan: give a probability from 0 to 1"),
    ("run --deadline 0", "massca: error: network: deadline 0.0 ms: give a finite number > 0"),
    (
        "run --loss 0.1 --runtime mango",
        "massca: error: a simulated network (delay, loss) runs on the native runtime in one "
        "process: give runtime native and processes 1",
    ),
    (
        "run --loss 0.1 --strategy cohda",
        "massca: error: a simulated network (delay, loss) is not supported with the cohda "
        "strategy: its negotiation would wait for a lost view forever",
    ),
    (
        "compare --loss 0.1 0.1",
        "massca: error: --loss 0.1 0.1: give distinct probabilities from 0 to 1",
    ),
    (
        "compare --loss 0 0.1 --strategies cohda",
        "massca: error: a simulated network (delay, loss) is not supported with the cohda "
        "strategy: its negotiation would wait for a lost view forever",
    ),
    (
        "nosuchcommand",
        "massca: error: argument COMMAND: invalid choice: 'nosuchcommand' (choose from 'run', "
        "'compare', 'scale', 'bench', 'replay', 'log') (see massca --help)",
    ),
]


def massca(argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command line in-process; its exit code and its stderr."""
    try:
        code = main(shlex.split(argv))
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("argv", "said"), COMMAND_LINES, ids=[c for c, _ in COMMAND_LINES])
def test_a_bad_command_line_is_one_line_and_exit_2(argv, said, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were: not in the repo
    assert massca(argv, capsys) == (2, said + "\n")
    assert list(tmp_path.iterdir()) == []


CONFIG_FILES = [
    ("cells = true", "cells = True: must be a whole number, not bool"),
    ("cells = [1, 2]", "cells = [1, 2]: must be a whole number, not list"),
    ("cells = 0", "cells = 0: need a whole number >= 1"),
    ("cells = -3", "cells = -3: need a whole number >= 1"),
    ('depth = "two"', "depth = 'two': must be a whole number, not str"),
    ('log = "no"', "log = 'no': must be true or false, not str"),
    ('seed = "abc"', "seed = 'abc': must be a whole number, not str"),
    ("seed = 1.5", "seed = 1.5: must be a whole number, not float"),
    ("days = inf", f"days = inf: {RUN_DAYS}"),
    ("days = nan", f"days = nan: {RUN_DAYS}"),
    ("days = 0", f"days = 0: {RUN_DAYS}"),
    ("days = 400", f"days = 400: {RUN_DAYS}"),
    ("until = 0", f"until = 0: {RUN_UNTIL}"),
    ("step = 600", f"step = 600: {STEP_900}"),
    ('strategy = "best"', "strategy = 'best': choose one of global, cellular, optimal, cohda"),
    ('runtime = "threads"', "runtime = 'threads': choose one of native, mango"),
    ("within = 3", "within = 3: must be text, not int"),
    (
        "start = 2016-06-01T00:00:00",
        "start = datetime.datetime(2016, 6, 1, 0, 0): must be text, not datetime",
    ),
    ('start = "2016-06-01 00:07"', f"start = '2016-06-01 00:07': {QUARTER}"),
    ("der_scale = -1", "der_scale = -1: a finite factor >= 0 for the DER"),
    ('interface_scale = "x"', "interface_scale = 'x': must be a number, not str"),
    ("grid_limit = -5", "grid_limit = -5: MW >= 0, or none for no limit"),
    ("flexibility = 1.0", "flexibility = 1.0: a load's share, 0 <= x < 1"),
    ("soc0 = 2", "soc0 = 2: the batteries' starting state of charge, 0 <= x <= 1"),
    (
        "storage_hours = -1",
        "storage_hours = -1: a battery's hours at rated power, a finite number >= 0 "
        "(0: no batteries)",
    ),
    ('colour = "red"', "config file '{path}': unknown key(s) colour; " + VALID_KEYS),
    ('out = "x"', "config file '{path}': unknown key(s) out; " + VALID_KEYS),
    ("[section]\ncells = 2", "config file '{path}': unknown key(s) section; " + VALID_KEYS),
    ("cells = ", "config file '{path}' is not valid TOML: Invalid value (at line 1, column 9)"),
    (b"\xff\xfe\x00c", "config file '{path}' is not UTF-8 text: save it as UTF-8 TOML"),
]


@pytest.mark.parametrize(
    ("content", "said"), CONFIG_FILES, ids=[repr(c)[:40] for c, _ in CONFIG_FILES]
)
def test_a_bad_config_file_is_one_line_and_exit_2(content, said, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "study.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content + "\n")
    message = "massca: error: " + said.format(path=path) + "\n"
    assert massca(f"run --config {path}", capsys) == (2, message)
    assert [p.name for p in tmp_path.iterdir()] == ["study.toml"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[str, list[str]]:
    """A real log of two steps (2 cells): its header line and its event lines."""
    path = tmp_path_factory.mktemp("log") / "base.jsonl"
    run_bench(BenchConfig(cells=2, steps=2, warmup=0, log_path=str(path)))
    header, *events = path.read_text().splitlines()
    return header, events


def _changed(events: list[str], index: int, **changes) -> list[str]:
    event = json.loads(events[index])
    event.update(changes)
    return [*events[:index], json.dumps(event), *events[index + 1 :]]


def _without(events: list[str], index: int, field: str) -> list[str]:
    event = {k: v for k, v in json.loads(events[index]).items() if k != field}
    return [*events[:index], json.dumps(event), *events[index + 1 :]]


STRUCTURE = "line 7 breaks the log's structure"
MOVED = "(an event missing, repeated or moved)"
NOT_EVENT = "line 7 is not a massca event"
WROTE_IT = "replay it with the massca version that wrote it (0.1.0)"
ALTERED_LOGS = [
    (
        "drop an event",
        lambda e: e[:5] + e[6:],
        f"{STRUCTURE}: seq 7, expected 6 {MOVED}",
    ),
    (
        "repeat an event",
        lambda e: [*e[:6], e[5], *e[6:]],
        f"line 8 breaks the log's structure: seq 6, expected 7 {MOVED}",
    ),
    (
        "swap two events",
        lambda e: [*e[:5], e[6], e[5], *e[7:]],
        f"{STRUCTURE}: seq 7, expected 6 {MOVED}",
    ),
    (
        "seq jumps",
        lambda e: _changed(e, 5, seq=7),
        f"{STRUCTURE}: seq 7, expected 6 {MOVED}",
    ),
    (
        "seq repeats",
        lambda e: _changed(e, 5, seq=5),
        f"{STRUCTURE}: seq 5, expected 6 {MOVED}",
    ),
    (
        "seq as text",
        lambda e: _changed(e, 5, seq="6"),
        f"{STRUCTURE}: seq = '6' is not a whole number",
    ),
    (
        "seq as a boolean",
        lambda e: _changed(e, 0, seq=True),
        "line 2 breaks the log's structure: seq = True is not a whole number",
    ),
    (
        "time as text",
        lambda e: _changed(e, 5, time="zero"),
        f"{STRUCTURE}: time = 'zero' is not a whole number",
    ),
    (
        "time as a fraction",
        lambda e: _changed(e, 5, time=0.5),
        f"{STRUCTURE}: time = 0.5 is not a whole number",
    ),
    (
        "time re-timed",
        lambda e: _changed(e, 5, time=900),
        f"{STRUCTURE}: an event of step (900, 0) inside step (0, 0)",
    ),
    (
        "time runs back",
        lambda e: _changed(e, len(e) - 2, time=0),
        "line 258 breaks the log's structure: an event of step (0, 0) inside step (900, 0)",
    ),
    (
        "iteration changed",
        lambda e: _changed(e, 5, iteration=1),
        f"{STRUCTURE}: an event of step (0, 1) inside step (0, 0)",
    ),
    (
        "iteration negative",
        lambda e: _changed(e, 5, iteration=-1),
        f"{STRUCTURE}: time 0 and iteration -1 must be >= 0",
    ),
    (
        "sender unknown",
        lambda e: _changed(e, 5, sender="mallory"),
        f"{STRUCTURE}: 'mallory' is no agent of the log's hierarchy",
    ),
    (
        "sender empty",
        lambda e: _changed(e, 5, sender=""),
        f"{STRUCTURE}: sender = '' is not a name",
    ),
    (
        "receiver a number",
        lambda e: _changed(e, 5, receiver=7),
        f"{STRUCTURE}: receiver = 7 is not a name or a list of names",
    ),
    (
        "receiver an empty list",
        lambda e: _changed(e, 5, receiver=[]),
        f"{STRUCTURE}: receiver = () is not a name or a list of names",
    ),
    (
        "receiver unknown",
        lambda e: _changed(e, 5, receiver="nobody"),
        f"{STRUCTURE}: 'nobody' is no agent of the log's hierarchy",
    ),
    ("kind a number", lambda e: _changed(e, 5, kind=3), f"{STRUCTURE}: kind = 3 is not a name"),
    (
        "no report closes a step",
        lambda e: [x for x in e if '"kind":"report"' not in x],
        f"line 130 breaks the log's structure: seq 130, expected 129 {MOVED}",
    ),
    (
        "a field missing",
        lambda e: _without(e, 5, "seq"),
        "line 7 is not a massca event: missing field(s) seq",
    ),
    (
        "a field added",
        lambda e: _changed(e, 5, colour="red"),
        "line 7 is not a massca event: unknown field(s) colour",
    ),
    (
        "a line not JSON",
        lambda e: [*e[:5], "hello", *e[5:]],
        f"{NOT_EVENT}: unexpected character, expected a JSON value: line 1 column 1 (char 0)",
    ),
    (
        "a line a JSON list",
        lambda e: [*e[:5], "[1,2,3]", *e[5:]],
        f"{NOT_EVENT}: a JSON list, not an object with seq, time, iteration, sender, receiver, "
        "kind, body",
    ),
]


@pytest.mark.parametrize(
    ("how", "alter", "said"), ALTERED_LOGS, ids=[a for a, _, _ in ALTERED_LOGS]
)
def test_a_log_altered_in_its_structure_is_named_by_line_and_rule(
    recorded, how, alter, said, capsys, tmp_path
):
    header, events = recorded
    path = tmp_path / "altered.jsonl"
    path.write_text("\n".join([header, *alter(events)]) + "\n")
    assert massca(f"replay {path}", capsys) == (2, f"massca: error: {path}: {said}\n")


def _header(header: str, **changes) -> str:
    return json.dumps({**json.loads(header), **changes})


HEADERS = [
    ("empty file", lambda h, e: [], "{path}: empty file, not a massca event log"),
    ("no header", lambda h, e: e, "{path}: not a massca event log (no massca-log header line)"),
    (
        "a foreign format",
        lambda h, e: [_header(h, format="other-log"), *e],
        "{path}: not a massca event log (no massca-log header line)",
    ),
    (
        "an older version",
        lambda h, e: [_header(h, version=5), *e],
        "{path}: log format version 5, but this massca reads version 6; " + WROTE_IT,
    ),
    (
        "a newer version",
        lambda h, e: [_header(h, version=99), *e],
        "{path}: log format version 99, but this massca reads version 6; " + WROTE_IT,
    ),
    (
        "the hierarchy missing",
        lambda h, e: [json.dumps({k: v for k, v in json.loads(h).items() if k != "hierarchy"}), *e],
        "{path}: malformed header: no 'hierarchy' field",
    ),
    (
        "a header not JSON",
        lambda h, e: ["massca", *e],
        "{path}: line 1 is not JSON, not a massca event log",
    ),
]


@pytest.mark.parametrize(("how", "make", "said"), HEADERS, ids=[h for h, _, _ in HEADERS])
def test_a_log_with_a_bad_header_is_refused_in_one_line(
    recorded, how, make, said, capsys, tmp_path
):
    header, events = recorded
    path = tmp_path / "altered.jsonl"
    lines = make(header, events)
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    assert massca(f"replay {path}", capsys) == (2, f"massca: error: {said.format(path=path)}\n")


REPLAY_OPTIONS = [
    ("--limit -5", "--limit -5: give a number of messages >= 0"),
    (
        "--agent nobody",
        "--agent 'nobody': no such agent in {path} (its agents: coordinator, cell-0, "
        "cell-0.ctl-1, cell-0.gen-00, cell-0.gen-01, cell-0.gen-02 ...)",
    ),
    ("--step -900", "--step -900: no step at that time in {path} (its steps: 0, 900)"),
    ("--step 1800", "--step 1800: no step at that time in {path} (its steps: 0, 900)"),
]


@pytest.mark.parametrize(("option", "said"), REPLAY_OPTIONS, ids=[o for o, _ in REPLAY_OPTIONS])
def test_a_bad_replay_option_is_one_line(recorded, option, said, capsys, tmp_path):
    header, events = recorded
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join([header, *events]) + "\n")
    code, err = massca(f"replay {path} {option}", capsys)
    assert (code, err) == (2, f"massca: error: {said.format(path=path)}\n")


MAS_CONFIGS = [
    ({"verbose": 3}, "verbose = 3: must be from 0 to 2"),
    ({"verbose": "loud"}, "verbose = 'loud': must be a whole number"),
    ({"verbose": True}, "verbose = True: must be a whole number"),
    ({"step_size": 0}, "step_size = 0: must be >= 1"),
    ({"step_size": 1.5}, "step_size = 1.5: must be a whole number"),
    ({"convergence_max_steps": 0}, "convergence_max_steps = 0: must be >= 1"),
    (
        {"convegence_max_steps": 2, "convergence_max_steps": 3},
        "'convegence_max_steps' and 'convergence_max_steps' are the same setting: give one",
    ),
    (
        {"on_no_convergence": "ignore"},
        "on_no_convergence = 'ignore': choose 'raise', 'warn' or 'accept'",
    ),
    ({"runtime": "threads"}, "runtime = 'threads': choose one of native, mango"),
    ({"log": 5}, "log = 5: give a file path, or None to switch it off"),
    ({"timeout": 0}, "timeout = 0: must be a number of seconds > 0"),
    ({"timeout": math.nan}, "timeout = nan: must be a number of seconds > 0"),
    ({"timeout": "10"}, "timeout = '10': must be a number of seconds > 0"),
    ({"tolerance": -1}, "tolerance = -1: must be a finite number of MW >= 0"),
    (
        {"limits": {"import": 1}},
        "limits = {'import': 1}: give {'import_max': MW, 'export_max': MW}",
    ),
    ({"limits": [1, 2]}, "limits = [1, 2]: give {'import_max': MW, 'export_max': MW}"),
    (
        {"merit_order": ["sun"]},
        "merit_order = ('sun',): must name each of storage, production, consumption, exchange "
        "exactly once (storage may be left out: it then comes first)",
    ),
    (
        {"between_cells": "best"},
        "between_cells = 'best': choose one of global, cellular, optimal, cohda, a function or "
        "'module:function'",
    ),
    (
        {"within_cell": 3},
        "within_cell = 3: choose one of proportional, merit, cohda, a function or "
        "'module:function'",
    ),
    ({"costs": {"grid": 1}}, "costs are a parameter of between_cells='optimal' only"),
    (
        {"between_cells": "optimal", "costs": {"gold": 1}},
        "costs = {'gold': 1}: the keys are production, consumption, storage, exchange, grid "
        "and unresolved",
    ),
    (
        {"between_cells": "optimal", "costs": [1]},
        "costs = [1]: give a mapping of resource -> cost per MW",
    ),
    ({"input_method": 5}, "input_method must be a function or 'module:function', got int"),
    (
        {"input_method": "nomodule:f"},
        "input_method = 'nomodule:f': cannot import it (ModuleNotFoundError: No module named "
        "'nomodule')",
    ),
    (
        {"aggregation_method": "os:sep"},
        "aggregation_method = 'os:sep': names a str, not a function",
    ),
    (
        {"execute_method": print, "between_cells": "global"},
        "execute_method decides at every level: give it or between_cells, not both",
    ),
    (
        {"network": {"delay": 5, "jitter": 1}},
        "network = {'delay': 5, 'jitter': 1}: give a mapping of 'delay', 'loss', 'seed', "
        "'deadline'",
    ),
    (
        {"network": {"loss": -0.1, "seed": "x"}},
        "network: loss -0.1: give a probability from 0 to 1; seed 'x': give a whole number",
    ),
    (
        {"network": {"delay": 1}, "runtime": "mango"},
        "network: a simulated network runs on the native runtime in one process",
    ),
]


@pytest.mark.parametrize(
    ("params", "said"), MAS_CONFIGS, ids=[repr(p)[:40] for p, _ in MAS_CONFIGS]
)
def test_a_bad_mas_config_is_one_clear_error(params, said) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MasConfig.parse(params)
    assert str(caught.value) == f"MAS configuration: {said}"


CREATES = [
    ({"model": "Other"}, "unknown model 'Other': this simulator has 'MosaikAgents' and 'Units'"),
    ({"unit": "solar"}, "unit = 'solar': give 'production', 'consumption' or 'storage'"),
    (
        {"unit": "storage", "min": 0.0},
        "create(unit='storage', min=..., max=...): a battery's band follows from its inputs "
        "(soc, capacity, charge_max, discharge_max), not from min/max",
    ),
    ({"min": 2.0, "max": 1.0}, "create(min=2.0, max=1.0): min exceeds max"),
    ({"min": math.nan}, "create(min=nan): give a finite number of MW"),
    ({"priority": math.inf}, "create(priority=inf): give a finite number"),
    ({"priority": "high"}, "create(priority='high'): give a finite number"),
    ({"import_max": -1.0}, "create(import_max=-1.0): give a number of MW >= 0"),
    (
        {"controller": "Agent_99"},
        "controller 'Agent_99' is unknown: create it before its children (known: MosaikAgent, "
        "Agent_1, Agent_2)",
    ),
    (
        {"controller": "Agent_2"},
        "controller 'Agent_2' was created as a unit agent (with unit, min or max): a unit agent "
        "has no children, and one with children would stop being a unit; create them under a "
        "cell or controller",
    ),
    (
        {"model": "Units", "units": []},
        "create(units=[]): give a non-empty list of the members' bands, e.g. "
        "['production', 'consumption']",
    ),
    (
        {"model": "Units", "units": ["production", "solar"]},
        "create(units=...): 'solar': each member is 'production', 'consumption' or 'storage'",
    ),
    (
        {"model": "Units", "units": ["storage", "consumption"]},
        "create(units=...): a group holds batteries or production and consumption units, not "
        "both (their inputs differ); create two groups",
    ),
    (
        {"model": "Units", "units": ["production"], "priorities": [1.0, 2.0]},
        "create(priorities=...): 2 merit levels for 1 units; give one per unit",
    ),
    (
        {"model": "Units", "units": ["production"], "priorities": [math.nan]},
        "create(priority=nan): give a finite number",
    ),
    (
        {"model": "Units", "units": ["production"], "controller": None},
        "Units.create(controller=None): a unit group's members are unit agents under a cell or "
        "controller; give its eid",
    ),
    (
        {"delay": -1},
        "create(delay=-1): give the one-way delay of the agent's link to its parent in ms, a "
        "finite number >= 0",
    ),
    (
        {"delay": "fast"},
        "create(delay='fast'): give the one-way delay of the agent's link to its parent in "
        "ms, a finite number >= 0",
    ),
    (
        {"model": "Units", "units": ["production"], "controller": "Agent_2"},
        "controller 'Agent_2' was created as a unit agent (with unit, min or max): a unit agent "
        "has no children, and one with children would stop being a unit; create them under a "
        "cell or controller",
    ),
]


@pytest.mark.parametrize(("params", "said"), CREATES, ids=[repr(p)[:40] for p, _ in CREATES])
def test_a_bad_create_is_one_clear_error(params, said) -> None:
    sim = MosaikAgents()
    sim.init("MAS-0", step_size=900)
    sim.create(1, "MosaikAgents")  # the coordinator
    cell = sim.create(1, "MosaikAgents")[0]["eid"]
    sim.create(1, "MosaikAgents", controller=cell, unit="production")  # Agent_2, a unit
    kwargs = {"controller": cell, **params}
    model = kwargs.pop("model", "MosaikAgents")
    with pytest.raises(ConfigurationError) as caught:
        sim.create(1, model, **kwargs)
    assert str(caught.value) == said


def test_the_suite_has_the_cases_it_promises() -> None:
    tables = (
        COMMAND_LINES,
        CONFIG_FILES,
        ALTERED_LOGS,
        HEADERS,
        REPLAY_OPTIONS,
        MAS_CONFIGS,
        CREATES,
    )
    assert sum(map(len, tables)) >= 120
