"""Which Redis a URL names, and that every script's keys share one Redis Cluster hash slot."""

from __future__ import annotations

import datetime as dt

import pytest
from redis.crc import key_slot

from serving.cache.responses import cache_key, lock_key
from serving.limits.connections import tenant_key
from serving.limits.ratelimit import ClaimLedger, window_key
from wedsync.events.live import channel, counter_key, tagged_supplier
from wedsync.redis_clients import CLUSTER_VARIABLE, cluster_nodes, is_cluster


def slot(key: str) -> int:
    return key_slot(key.encode())


def test_a_cluster_url_lists_its_seed_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CLUSTER_VARIABLE, raising=False)
    url = "redis+cluster://:secret@127.0.0.1:7001,127.0.0.1:7002/"
    assert is_cluster(url)
    assert cluster_nodes(url) == [("127.0.0.1", 7001), ("127.0.0.1", 7002)]
    assert not is_cluster("redis://127.0.0.1:6379/0")
    monkeypatch.setenv(CLUSTER_VARIABLE, "1")
    assert is_cluster("redis://127.0.0.1:7001")
    assert cluster_nodes("redis://127.0.0.1:7001") == [("127.0.0.1", 7001)]


def test_bad_cluster_settings_are_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="host:port"):
        cluster_nodes("redis+cluster://127.0.0.1:7001,127.0.0.1/")
    monkeypatch.setenv(CLUSTER_VARIABLE, "maybe")
    with pytest.raises(ValueError, match=CLUSTER_VARIABLE):
        is_cluster("redis://127.0.0.1:7001")


def test_each_scripts_keys_share_a_slot_and_tenants_spread() -> None:
    answer = cache_key("ab12cd34", "sup_000001", 7, "from=2026-01-01&to=2026-06-30")
    assert slot(lock_key(answer)) == slot(answer)
    # One tenant's windows (requests, WebSocket connects) and its connection counts: one shard.
    assert slot(window_key("sup_000001")) == slot(window_key("sup_000001:ws-connects"))
    assert slot(window_key("sup_000001")) == slot(tenant_key("sup_000001"))
    day = dt.date(2026, 11, 30)
    assert slot(counter_key("sup_000001", day)) == slot(channel("sup_000001"))
    assert tagged_supplier(channel("sup_000001")) == "sup_000001"
    assert tagged_supplier(counter_key("sup_000001", day).encode()) == "sup_000001"
    # Tenants are not all tagged alike: 100 suppliers land on many slots.
    assert len({slot(window_key(f"sup_{n:06d}")) for n in range(100)}) > 90


def test_the_ledger_writes_claims_back_only_after_a_loss_and_only_while_they_count() -> None:
    ledger = ClaimLedger(window_seconds=60, hold_ms=10_000)
    key = window_key("sup_000001")
    ledger.record(key, "a", 3, at_ms=1_000)
    ledger.record(key, "b", 2, at_ms=30_000)
    assert ledger.replay(key) == []  # Redis was fine: nothing to write back
    ledger.lost()
    assert ledger.replay(key) == ["a", 3, 1_000, "b", 2, 30_000]
    # A window after the claim, its leased slots (scored 10 s later) still count: kept.
    ledger.confirmed(key, now_ms=65_000)
    ledger.lost()
    assert ledger.replay(key) == ["a", 3, 1_000, "b", 2, 30_000]
    ledger.confirmed(key, now_ms=71_000)  # written back; every slot of "a" has left
    assert ledger.replay(key) == []
    ledger.lost()
    assert ledger.replay(key) == ["b", 2, 30_000]
