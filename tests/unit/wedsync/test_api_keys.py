"""API key format and issuing rules (no database: the rules are checked before any write)."""

from __future__ import annotations

import pytest

from wedsync.api_keys import (
    ApiKeyError,
    Principal,
    create_api_key,
    hash_key,
    parse_key_id,
)

KEY = "wsk_0123456789ab_" + "s3cr3t-_" * 5


def test_a_well_formed_key_names_its_id() -> None:
    assert parse_key_id(KEY) == "0123456789ab"


@pytest.mark.parametrize(
    "key",
    ["", "wsk_", "Bearer " + KEY, KEY.replace("wsk_", "wsx_"), "wsk_0123_" + "x" * 40, KEY + "!"],
)
def test_anything_else_is_not_a_key(key: str) -> None:
    assert parse_key_id(key) is None


def test_keys_are_stored_as_sha256_hex() -> None:
    assert hash_key(KEY) == hash_key(KEY)
    assert len(hash_key(KEY)) == 64
    assert hash_key(KEY) != hash_key(KEY[:-1] + "X")


@pytest.mark.parametrize(
    ("supplier_id", "tier", "field"),
    [
        ("sup_000001", "gold", "tier"),
        ("sup_000001", "platform", "supplier_id must be empty"),
        (None, "professional", "supplier_id is required"),
        ("supplier-1", "free", "supplier_id must look like"),
    ],
)
def test_bad_owners_are_refused_naming_the_field(
    supplier_id: str | None, tier: str, field: str
) -> None:
    with pytest.raises(ApiKeyError, match=field):
        create_api_key(None, supplier_id, tier, None)  # type: ignore[arg-type]


def test_a_principal_knows_its_tenant() -> None:
    assert Principal("k", "sup_000001", "free", "supplier_admin").tenant == "sup_000001"
    platform = Principal("k", None, "platform", "platform_admin")
    assert platform.is_platform and platform.tenant == "platform"
