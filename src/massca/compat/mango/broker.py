"""A Mosquitto broker that massca starts for one run (``--transport mqtt --broker auto``).

Belongs here: `Broker` (start on a free loopback port, wait until it accepts, stop and
reap) and `mosquitto_path`. Not here: the MQTT containers (`containers`).

The broker runs without systemd from a config file of its own: one listener on the
given address, anonymous clients, no persistence, and ``set_tcp_nodelay true`` (without
it Nagle's algorithm and delayed ACKs hold small messages back: ~50 ms a step where 6 ms
do). Its output goes to a file in its folder, shown in the error if it does not start.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from massca.model import ConfigurationError

__all__ = ["Broker", "mosquitto_path"]

START_TIMEOUT = 10.0
"""Seconds the broker may take to accept connections."""


def mosquitto_path() -> str | None:
    """The mosquitto executable (also in the sbin folders a user's PATH may lack)."""
    return shutil.which("mosquitto") or shutil.which(
        "mosquitto", path=os.pathsep.join(("/usr/sbin", "/sbin", "/usr/local/sbin"))
    )


class Broker:
    """A private Mosquitto broker at ``host`` on ``port`` (0: a free one); `start`, then
    `stop`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where clients connect."""
        return self.host, self.port

    def start(self) -> None:
        """Start the broker and wait until it accepts connections; `ConfigurationError`
        if mosquitto is not installed or does not start (with its own words)."""
        executable = mosquitto_path()
        if executable is None:
            raise ConfigurationError(
                "the MQTT transport needs a broker: install mosquitto (Debian: apt-get "
                "install mosquitto) or give one with --broker HOST:PORT"
            )
        self._folder = tempfile.TemporaryDirectory(prefix="massca-broker-")
        folder = Path(self._folder.name)
        self.port = self.port or _free_port(self.host)
        config = folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "set_tcp_nodelay true\n"
            "log_dest stderr\n"
        )
        output = (folder / "mosquitto.log").open("wb")
        self.process = subprocess.Popen(
            [executable, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        output.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(self.address, timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.01)
        said = (folder / "mosquitto.log").read_text(errors="replace").strip()[-500:]
        self.stop()
        raise ConfigurationError(
            f"the MQTT broker (mosquitto) did not start at {self.host}:{self.port}: "
            f"{said or 'no output'}"
        )

    def stop(self) -> None:
        """End the broker (killing it if it does not end within 5 s); idempotent."""
        process, self.process = self.process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def _free_port(host: str) -> int:
    """A port free at ``host`` now (the broker binds it a moment later)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
