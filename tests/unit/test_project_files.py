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
