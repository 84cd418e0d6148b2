"""A real `dagster-daemon run` on the deployment's instance, for tests that kill it.

The daemon gets its own DAGSTER_HOME holding `deploy/dagster.yaml` (Postgres storage in the
database the test names), a workspace of one code location, and the environment the test
gives it. Each start is a new session, so a test can kill the daemon alone (`kill`) or the
daemon with the code servers and run workers it started (`kill_with_children`, as a machine
or container restart does); whatever is left runs is killed, by process group, at exit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from wedsync.settings import REPO_ROOT, get_settings

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class DaemonHome:
    """A DAGSTER_HOME on `deploy/dagster.yaml`, a workspace, and the daemon's environment."""

    home: Path
    workspace: Path
    env: dict[str, str]


def daemon_home(
    root: Path, storage_database: str, module: str, env: Mapping[str, str]
) -> DaemonHome:
    """A DAGSTER_HOME under `root` storing in `storage_database`, serving `module`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", root / "dagster.yaml")
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {module}\n"
        f"      working_directory: {REPO_ROOT}\n"
        "      location_name: fault\n"
    )
    variables = {
        **os.environ,
        **env,
        "DAGSTER_HOME": str(root),
        "DAGSTER_PG_URL": get_settings().dagster_storage_url(storage_database),
    }
    return DaemonHome(root, workspace, variables)


@dataclass
class Daemon:
    """`dagster-daemon run` on a `DaemonHome`; every start is a new process group."""

    home: DaemonHome
    process: subprocess.Popen[bytes] | None = None
    groups: list[int] = field(default_factory=list)

    def start(self) -> None:
        """Start the daemon (its log goes to `daemon-<n>.log` in the home)."""
        log = (self.home.home / f"daemon-{len(self.groups)}.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", "-w", str(self.home.workspace)],
            env=self.home.env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.groups.append(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the daemon process alone; its code servers and run workers are left."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def kill_with_children(self) -> None:
        """SIGKILL the daemon's whole process group: code servers and run workers too."""
        assert self.process is not None
        _kill_group(self.process.pid)
        self.process.wait()

    def stop(self) -> None:
        """Kill every process group this daemon started, whatever is left of it."""
        for group in self.groups:
            _kill_group(group)
        if self.process is not None:
            self.process.wait()


def _kill_group(group: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@contextmanager
def instance_of(home: DaemonHome) -> Iterator[dg.DagsterInstance]:
    """The daemon's instance, opened in this process (its storage URL comes from the env)."""
    previous = os.environ.get("DAGSTER_PG_URL")
    os.environ["DAGSTER_PG_URL"] = home.env["DAGSTER_PG_URL"]
    try:
        with dg.DagsterInstance.from_config(str(home.home)) as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_PG_URL", None)
        else:
            os.environ["DAGSTER_PG_URL"] = previous


@contextmanager
def running_daemon(home: DaemonHome) -> Iterator[Daemon]:
    """A started daemon, and everything it started killed afterwards."""
    daemon = Daemon(home)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def submit_job(
    home: DaemonHome, job: str, run_id: str, tags: Mapping[str, str] | None = None
) -> None:
    """Submit a run of `job` as the UI does: to the instance's (queued) run coordinator."""
    subprocess.run(
        [
            str(BIN / "dagster"),
            "job",
            "launch",
            "-w",
            str(home.workspace),
            "-j",
            job,
            "--run-id",
            run_id,
            "--tags",
            json.dumps(dict(tags or {})),
        ],
        env=home.env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
