"""The command line's frame: help, version, exit codes."""

import subprocess
import sys

from massca import __version__
from massca.cli import main


def test_help_lists_the_program_and_exits_zero(capsys) -> None:
    assert main([]) == 0
    assert "massca" in capsys.readouterr().out


def test_version_is_the_installed_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "massca.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"massca {__version__}"
