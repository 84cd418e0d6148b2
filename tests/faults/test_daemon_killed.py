"""The Dagster daemon SIGKILLed mid-run and restarted: the run ends well, no half-built mart.

Killed alone, the daemon takes nothing with it: with DefaultRunLauncher the run worker is a
child of the code server the daemon started, and a code server that loses its daemon's
heartbeat shuts down only once its runs have ended, so the run carries on and succeeds. Killed
with its children (a machine or container restart), the run worker dies mid-build and the run
is failed and retried per `deploy/dagster.yaml` (run monitoring, run retries). Either way the
served mart is last night's table or tonight's, whole: dbt builds a table beside the served
one and swaps them in one transaction.
"""

from __future__ import annotations

import pytest

from tests.faults.daemon_fault import run_daemon_fault

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_daemon_killed_alone_leaves_its_run_to_finish() -> None:
    figures = run_daemon_fault("daemon_sigkill")
    print(figures.line())
    assert figures.statuses == ["SUCCESS"], "the run worker outlives its daemon"
    assert figures.tonight != figures.last_night  # tonight's build changed the mart
    assert figures.samples > 0 and figures.read_errors == []
    assert figures.served_states <= {figures.last_night, figures.tonight}


def test_the_daemon_host_restarted_mid_run_fails_the_run_and_retries_it() -> None:
    figures = run_daemon_fault("daemon_host_restart")
    print(figures.line())
    # The run worker died with the daemon: run monitoring fails the orphaned run at its
    # runtime limit, and the run-retry policy's retry rebuilds tonight's marts.
    assert figures.statuses[0] == "FAILURE" and figures.statuses[-1] == "SUCCESS"
    assert len(figures.statuses) <= 3  # the run and at most `max_retries: 2` retries
    assert figures.tonight != figures.last_night
    assert figures.samples > 0 and figures.read_errors == []
    assert figures.served_states <= {figures.last_night, figures.tonight}
