"""Test-suite wide set-up.

The default warehouse URL is re-pointed at a `wedsync_test` database on the same server, so a
test that forgot to make its own throwaway database still cannot damage `make demo`'s data.
Integration tests make their own databases with `tests.support.throwaway_database`.
"""

from __future__ import annotations

import os

from wedsync.settings import get_settings

_server_url = get_settings().database_url.rsplit("/", 1)[0]
os.environ["WEDSYNC_DATABASE_URL"] = f"{_server_url}/wedsync_test"
get_settings.cache_clear()
