"""The usage flush writes its rows in the table's key order (two workers' flushes deadlocked)."""

from __future__ import annotations

import datetime as dt

from serving.limits.usage import UsageKey, _Tally, upsert_columns

DAY = dt.date(2026, 6, 6)


def test_rows_go_out_in_the_conflict_keys_order_whatever_order_they_were_counted_in() -> None:
    counted: dict[UsageKey, _Tally] = {
        ("key_b", "sup_1", DAY, "/api/analytics/metrics"): _Tally(3, 1, 0),
        ("key_a", None, DAY, "/api/usage"): _Tally(1, 0, 0),
        ("key_a", None, DAY, "/api/analytics/metrics"): _Tally(2, 0, 1),
    }
    key_ids, supplier_ids, days, endpoints, requests, errors, throttled = upsert_columns(counted)
    assert list(zip(key_ids, endpoints, strict=True)) == [
        ("key_a", "/api/analytics/metrics"),
        ("key_a", "/api/usage"),
        ("key_b", "/api/analytics/metrics"),
    ]
    # Each row's figures travel with it.
    assert (supplier_ids, requests, errors, throttled) == (
        [None, None, "sup_1"],
        [2, 1, 3],
        [0, 0, 1],
        [1, 0, 0],
    )
    assert days == [DAY] * 3
