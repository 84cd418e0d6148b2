"""Test-suite wide set-up.

The default warehouse URL is re-pointed at a `wedsync_test` database on the same server, so a
test that forgot to make its own throwaway database still cannot damage `make demo`'s data.
Integration tests make their own databases with `tests.support.throwaway_database`.
"""

from __future__ import annotations

import os

import pytest

from tests.support import PARTITIONING, choose_partitioning
from wedsync.settings import get_settings

_server_url = get_settings().database_url.rsplit("/", 1)[0]
os.environ["WEDSYNC_DATABASE_URL"] = f"{_server_url}/wedsync_test"
get_settings.cache_clear()


@pytest.fixture(params=PARTITIONING)
def partitioning(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way the months of raw.events are managed, for the warehouse a test makes next:
    pg_partman's (skipped where this Postgres has no package) and the hand-written one."""
    choose_partitioning(request.param, monkeypatch)
    return str(request.param)
