"""The README's two set-up commands and .ci/run stay in step."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


@pytest.mark.skipif(not (ROOT / "README.md").exists(), reason="run from an installed wheel")
def test_the_readme_opens_with_an_install_and_run_command_and_a_test_command() -> None:
    run, test = readme_commands()
    assert run.startswith("python3 -m venv .venv && .venv/bin/pip install .")
    assert ".venv/bin/massca" in run
    assert "'.[test]'" in test
    assert "pytest" in test


@pytest.mark.skipif(not (ROOT / ".ci" / "run").exists(), reason="run from an installed wheel")
def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = readme_commands()
    script = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in script
    assert test in script.splitlines()


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return [b for b in blocks if "SIM_CONFIG" not in b]  # that one needs a user's simulators


@pytest.mark.skipif(not (ROOT / "README.md").exists(), reason="run from an installed wheel")
def test_the_readme_python_examples_run_as_written(tmp_path, monkeypatch) -> None:
    blocks = readme_python_blocks()
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # the examples may write a log next to themselves
    for number, block in enumerate(blocks):
        exec(compile(block, f"README python block {number}", "exec"), {})
