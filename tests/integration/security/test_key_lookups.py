"""A fake key writes nothing and is looked up once (Medium #6)."""

from __future__ import annotations

import httpx
import psycopg
import pytest

import serving.security.keys
from tests.integration.serving.conftest import PHOTOGRAPHER, bearer
from wedsync.api_keys import parse_key_id
from wedsync.warehouse import connect as connect_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"


def last_used(warehouse_url: str, key_id: str) -> object:
    with connect_warehouse(warehouse_url) as conn:
        row = conn.execute(
            "select last_used_at from app.api_keys where key_id = %s", (key_id,)
        ).fetchone()
    assert row is not None
    return row[0]


async def test_a_wrong_secret_for_a_real_key_id_writes_nothing(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    key_id = str(parse_key_id(keys[PHOTOGRAPHER]))
    fake = f"wsk_{key_id}_{'x' * 43}"
    assert (await api.get(METRICS, headers=bearer(fake))).status_code == 401
    assert last_used(warehouse_url, key_id) is None


async def test_a_refused_key_is_remembered_and_not_looked_up_again(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    real_lookup = serving.security.keys.verify_api_key_async

    async def counted(conn: psycopg.AsyncConnection, key: str) -> object:
        lookups.append(key)
        return await real_lookup(conn, key)

    monkeypatch.setattr(serving.security.keys, "verify_api_key_async", counted)
    fake = f"wsk_{'0' * 12}_{'y' * 43}"
    for _ in range(5):
        assert (await api.get(METRICS, headers=bearer(fake))).status_code == 401
    assert lookups == [fake]
