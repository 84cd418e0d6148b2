"""`dagster-daemon run` as a deployment starts it, on a throwaway DAGSTER_HOME and one module.

Used by `benchmarks/events_runs.py` and `tests/integration/orchestration/test_daemon_nights.py`:
the home gets `deploy/dagster.yaml` (Postgres storage from `DAGSTER_PG_URL`, queued runs,
retries) and a workspace loading `module`. The daemon starts the code server, which starts
the run workers, all in the daemon's own process group; stopping it stops the whole group:
a code server busy with a run outlived SIGTERM once, so whatever is left is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from wedsync.settings import REPO_ROOT

DAEMON = Path(sys.executable).parent / "dagster-daemon"
STOP_SECONDS = 30


@contextmanager
def running_daemon(
    home: Path, module: str, environment: Mapping[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the daemon on `module` with `DAGSTER_HOME=home` plus `environment`; its output goes
    to `home/daemon.log`."""
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    workspace = home / "workspace.yaml"
    workspace.write_text(
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {module}\n"
        f"      working_directory: {REPO_ROOT}\n"
        f"      location_name: {module.rsplit('.', 1)[-1]}\n"
    )
    with (home / "daemon.log").open("wb") as log:
        daemon = subprocess.Popen(
            [str(DAEMON), "run", "-w", str(workspace)],
            cwd=REPO_ROOT,
            env={**os.environ, **environment, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield daemon
        finally:
            with suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                daemon.wait(timeout=STOP_SECONDS)
            with suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
