"""The fault suite: kills private servers under load (`make test-faults`; CI runs it too).

Each test starts its own Postgres cluster, Redis and API on ports from `WEDSYNC_FAULT_PORT`
(7710 by default) and kills those, never the shared servers. A machine without Debian's
PostgreSQL server, `redis-server` or pgBackRest skips them, saying which is missing.
"""

from __future__ import annotations

import pytest

from benchmarks.fault_servers import available


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip every fault test, plainly, where private servers cannot be started."""
    reason = available()
    if reason is None:
        return
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=f"fault suite needs real servers: {reason}"))
