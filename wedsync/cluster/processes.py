"""Start, watch, kill and stop the topology's servers, each by its own process id.

`wedsync cluster up` returns while the servers keep running, so each server's process id is
recorded under `.local/cluster/<name>.pid` for `wedsync cluster down`, which stops exactly
those processes (after checking that the id still belongs to the command it started: ids are
reused). Each server leads its own process group, so stopping it also stops the workers it
forked (MLflow's), and nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from wedsync.cluster.topology import Member
from wedsync.settings import REPO_ROOT


class ClusterError(RuntimeError):
    """A server of the topology did not start, or did not become ready in time."""


def answers(port: int, path: str, timeout: float = 1.0) -> bool:
    """True when `http://127.0.0.1:<port><path>` answers 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as reply:
            return int(reply.status) == 200
    except (urllib.error.URLError, OSError):
        return False


class Supervisor:
    """The servers started from one run directory; only they are ever signalled."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, member: Member) -> int:
        """Start `member` detached (own session, output to `<run_dir>/<name>.log`); its pid."""
        if self.pid(member.name) is not None:
            raise ClusterError(f"{member.name} is already running (pid {self.pid(member.name)})")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / f"{member.name}.log", "ab") as log:
            process = subprocess.Popen(
                member.command,
                cwd=REPO_ROOT,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **member.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=member.user,
                group=member.user,
            )
        self._children[member.name] = process
        self._pid_file(member.name).write_text(f"{process.pid}\n{member.command[0]}\n")
        return process.pid

    def wait_ready(self, member: Member, timeout: float = 60.0) -> None:
        """Poll the member's readiness path until it answers 200 (fail fast if it died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid(member.name) is None:
                raise ClusterError(
                    f"{member.name} exited during start-up; see {self.run_dir / member.name}.log"
                )
            if answers(member.port, member.ready_path):
                return
            time.sleep(0.1)
        raise ClusterError(f"{member.name} was not ready on port {member.port} in {timeout:.0f} s")

    def pid(self, name: str) -> int | None:
        """The running server's process id, or None if it is not running (or not ours)."""
        child = self._children.get(name)
        if child is not None:
            return child.pid if child.poll() is None else None
        try:
            recorded, command = self._pid_file(name).read_text().split("\n")[:2]
        except (FileNotFoundError, ValueError):
            return None
        pid = int(recorded)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return None
        # A reused id runs something else; a zombie has already exited.
        return pid if command.encode() in cmdline and state != "Z" else None

    def running(self) -> dict[str, int]:
        """Every recorded server that is still running, by name."""
        names = {path.stem for path in self.run_dir.glob("*.pid")} | set(self._children)
        return {name: pid for name in sorted(names) if (pid := self.pid(name)) is not None}

    def kill(self, name: str, signum: int = signal.SIGKILL) -> None:
        """Send `signum` to the server's process group (the kill tests use SIGKILL)."""
        pid = self.pid(name)
        if pid is None:
            raise ClusterError(f"{name} is not running")
        os.killpg(pid, signum)
        child = self._children.get(name)
        if child is not None and signum == signal.SIGKILL:
            child.wait(timeout=10)

    def stop(self, name: str, timeout: float = 20.0) -> None:
        """SIGTERM (a graceful stop, as deployed), SIGKILL if it lingers; forget the pid."""
        if self.pid(name) is not None:
            self.kill(name, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.pid(name) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            if (pid := self.pid(name)) is not None:
                os.killpg(pid, signal.SIGKILL)
        child = self._children.pop(name, None)
        if child is not None:
            child.wait(timeout=10)
        self._pid_file(name).unlink(missing_ok=True)

    def stop_all(self) -> list[str]:
        """Stop every server this run directory records; their names."""
        names = sorted({path.stem for path in self.run_dir.glob("*.pid")} | set(self._children))
        for name in names:
            self.stop(name)
        return names

    def _pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"
