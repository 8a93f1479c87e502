"""`fireline bot` as a process of its own, stopped as a container runtime stops it."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import eventually

STOP_TIMEOUT = 15.0


class Bot:
    """One `fireline bot` (or `command`) process; its output goes to a file, shown when a test
    fails."""

    def __init__(
        self, env: dict[str, str], cwd: Path, name: str = "bot", command: str = "bot"
    ) -> None:
        self.env = env
        self.log = cwd / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fireline", command],
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def terminate(self) -> None:
        """SIGTERM, as a container runtime sends it: the bot must exit 0 within STOP_TIMEOUT."""
        self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(AssertionError):
            await eventually(lambda: self.process.poll() is not None, timeout=STOP_TIMEOUT)
        code = self.process.poll()
        assert code == 0, f"exit code {code} (None: still running):\n{self.output()}"

    def running(self) -> bool:
        assert self.process.poll() is None, f"fireline bot exited:\n{self.output()}"
        return True
