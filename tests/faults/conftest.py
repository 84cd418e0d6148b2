"""The fault suite: kills servers and processes under load (`make test-faults`; CI runs it too).

The server faults and the restore drill start their own Postgres cluster, Redis and API on
ports from `WEDSYNC_FAULT_PORT` (7710 by default) and kill those, never the shared servers; a
machine without Debian's PostgreSQL server, `redis-server` or pgBackRest skips them, saying
which is missing. The other faults (a landing file, the Dagster daemon, a dbt build) work in
throwaway databases on the shared Postgres and run everywhere.
"""

from __future__ import annotations

import pytest

from benchmarks.fault_servers import available

#: The modules whose tests start private servers.
PRIVATE_SERVER_MODULES = ("test_server_faults.py", "test_restore_drill.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the private-server faults, plainly, where those servers cannot be started."""
    reason = available()
    if reason is None:
        return
    for item in items:
        if item.path.name in PRIVATE_SERVER_MODULES and "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=f"fault suite needs real servers: {reason}"))
