"""Issuing, verifying, listing and revoking API keys in a real warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import throwaway_database
from wedsync.api_keys import (
    create_api_key,
    hash_key,
    list_api_keys,
    parse_key_id,
    revoke_api_key,
    verify_api_key,
)
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database("wedsync_keys") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


def test_a_key_is_stored_hashed_verified_and_revoked(database_url: str) -> None:
    with connect(database_url) as conn:
        key = create_api_key(conn, "sup_000123", "professional", "dashboard")
        key_id = parse_key_id(key)
        assert key_id is not None
        stored = conn.execute(
            "select key_hash, supplier_id, tier, label from app.api_keys"
        ).fetchall()
        assert stored == [(hash_key(key), "sup_000123", "professional", "dashboard")]

        principal = verify_api_key(conn, key)
        assert principal is not None
        assert (principal.key_id, principal.supplier_id, principal.tier) == (
            key_id,
            "sup_000123",
            "professional",
        )
        assert verify_api_key(conn, key[:-1] + ("A" if key[-1] != "A" else "B")) is None

        (record,) = list_api_keys(conn)
        assert record.last_used_at is not None and record.revoked_at is None

        assert revoke_api_key(conn, key_id)
        assert not revoke_api_key(conn, key_id)  # already revoked
        assert verify_api_key(conn, key) is None
        assert list_api_keys(conn, "sup_000123")[0].revoked_at is not None


def test_platform_keys_belong_to_no_supplier(database_url: str) -> None:
    with connect(database_url) as conn:
        key = create_api_key(conn, None, "platform", None)
        principal = verify_api_key(conn, key)
    assert principal is not None and principal.is_platform and principal.supplier_id is None
