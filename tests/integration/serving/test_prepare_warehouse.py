"""API processes starting at once on an empty warehouse all prepare it, one after the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from serving.core.db import prepare_warehouse
from tests.support import throwaway_database

pytestmark = pytest.mark.integration

PROCESSES = 4


def test_processes_starting_together_on_an_empty_warehouse_all_prepare_it() -> None:
    # `make cluster` on a new (replicated) warehouse starts 4 API processes at once: each
    # applies the schema under an advisory lock, and the next must find the schema committed
    # (the lock was once released before the commit: "duplicate key ... nspname (raw)").
    with throwaway_database("wedsync_prepare") as url, ThreadPoolExecutor(PROCESSES) as starting:
        prepared = list(starting.map(prepare_warehouse, [url] * PROCESSES))
    assert prepared == [True] * PROCESSES
