"""API keys for suppliers and the platform: issued once, stored only as SHA-256 hashes.

A key reads `wsk_<key_id>_<secret>`. The `key_id` is public (it names the key in `list`,
`revoke`, the dead-letter table and logs); only the hash of the whole key is stored, so a
leaked `app.api_keys` table does not leak working keys. Shared by the CLI, the API and the
benchmarks, so there is one place that knows the format.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

KEY_PREFIX = "wsk"
TIERS = ("free", "professional", "enterprise", "platform")
PLATFORM_TIER = "platform"
#: Roles narrow what a key may do. Viewers and analysts read; supplier admins also see their
#: usage and send their events; platform admins also ingest for everyone and erase couples.
SUPPLIER_ROLES = ("supplier_viewer", "supplier_admin")
PLATFORM_ROLES = ("platform_analyst", "platform_admin")
ROLES = SUPPLIER_ROLES + PLATFORM_ROLES
_SUPPLIER_ID = re.compile(r"^sup_[0-9]{6}$")
_KEY_FORMAT = re.compile(r"^wsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")

# `last_used_at` is stamped as the key is verified, in the same round trip, and only when the
# stored hash matches: a well-formed fake key writes nothing.
_VERIFY = """
update app.api_keys set last_used_at = now()
where key_id = %s and key_hash = %s and revoked_at is null
returning supplier_id, tier, role
"""
#: NOTIFYed with the key id by the revoking transaction; the API's workers listen on it.
REVOCATION_CHANNEL = "wedsync_api_key_revoked"


#: Appends to `app.audit_log` (actor, action, subject, details); shared with the API's async path.
AUDIT_INSERT = "insert into app.audit_log (actor, action, subject, details) values (%s, %s, %s, %s)"


class ApiKeyError(ValueError):
    """A key could not be issued or used; the message names the field and the value."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a supplier (its own data only) or the platform (everything)."""

    key_id: str
    supplier_id: str | None
    tier: str
    role: str

    @property
    def is_platform(self) -> bool:
        """True for WedSync's own keys, which see every supplier."""
        return self.tier == PLATFORM_TIER

    @property
    def tenant(self) -> str:
        """The tenant this caller's cached answers belong to."""
        return self.supplier_id or PLATFORM_TIER

    @property
    def is_admin(self) -> bool:
        """True for the admin role of the caller's side (supplier admin or platform admin)."""
        return self.role in ("supplier_admin", "platform_admin")


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key as `wedsync keys list` shows it (never the secret)."""

    key_id: str
    supplier_id: str | None
    tier: str
    role: str
    label: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored for a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key_id(key: str) -> str | None:
    """The key id of a well-formed key, or None when `key` is not one of ours."""
    match = _KEY_FORMAT.match(key)
    return match.group(1) if match else None


def default_role(tier: str) -> str:
    """The role a key gets when none is asked for: its side's admin (the key holder)."""
    return "platform_admin" if tier == PLATFORM_TIER else "supplier_admin"


def _check_owner(supplier_id: str | None, tier: str, role: str) -> None:
    if tier not in TIERS:
        raise ApiKeyError(f"tier must be one of {', '.join(TIERS)}; got {tier!r}")
    if tier == PLATFORM_TIER and supplier_id is not None:
        raise ApiKeyError(f"supplier_id must be empty for a platform key; got {supplier_id!r}")
    if tier != PLATFORM_TIER and supplier_id is None:
        raise ApiKeyError(f"supplier_id is required for a {tier} key")
    if supplier_id is not None and not _SUPPLIER_ID.match(supplier_id):
        raise ApiKeyError(f"supplier_id must look like sup_000123; got {supplier_id!r}")
    allowed = PLATFORM_ROLES if tier == PLATFORM_TIER else SUPPLIER_ROLES
    if role not in allowed:
        raise ApiKeyError(
            f"role must be one of {', '.join(allowed)} for a {tier} key; got {role!r}"
        )


def command_line_actor() -> str:
    """Who runs a CLI command, as the audit log names them."""
    return f"cli:{getpass.getuser()}"


def record_audit(
    conn: psycopg.Connection,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an admin action to `app.audit_log` (in the caller's transaction)."""
    conn.execute(AUDIT_INSERT, (actor, action, subject, Jsonb(details or {})))


def create_api_key(
    conn: psycopg.Connection,
    supplier_id: str | None,
    tier: str,
    label: str | None,
    *,
    role: str | None = None,
    actor: str | None = None,
) -> str:
    """Issue a key for a supplier (or the platform when `supplier_id` is None); return it.

    The returned key is the only copy of the secret: it is shown once and stored hashed.
    The issue is audited, in the same transaction as the key.
    """
    role = role or default_role(tier)
    _check_owner(supplier_id, tier, role)
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    with conn.transaction():
        conn.execute(
            "insert into app.api_keys (key_id, key_hash, supplier_id, tier, role, label) "
            "values (%s, %s, %s, %s, %s, %s)",
            (key_id, hash_key(key), supplier_id, tier, role, label),
        )
        record_audit(
            conn,
            actor or command_line_actor(),
            "api_key.issued",
            key_id,
            {"supplier_id": supplier_id, "tier": tier, "role": role, "label": label},
        )
    return key


def _principal(key_id: str, row: tuple[Any, ...] | None) -> Principal | None:
    """The caller of a row the hash-checked lookup returned (None: no such live key)."""
    if row is None:
        return None
    return Principal(key_id=key_id, supplier_id=row[0], tier=row[1], role=row[2])


def verify_api_key(conn: psycopg.Connection, key: str) -> Principal | None:
    """The caller a key belongs to, or None for an unknown, malformed or revoked key."""
    key_id = parse_key_id(key)
    if key_id is None:
        return None
    with conn.transaction():
        row = conn.execute(_VERIFY, (key_id, hash_key(key))).fetchone()
    return _principal(key_id, row)


async def verify_api_key_async(conn: psycopg.AsyncConnection, key: str) -> Principal | None:
    """`verify_api_key` for the API's async connections."""
    key_id = parse_key_id(key)
    if key_id is None:
        return None
    async with conn.transaction():
        cursor = await conn.execute(_VERIFY, (key_id, hash_key(key)))
        row = await cursor.fetchone()
    return _principal(key_id, row)


def list_api_keys(conn: psycopg.Connection, supplier_id: str | None = None) -> list[ApiKeyRecord]:
    """Every issued key (or one supplier's), newest first, revoked ones included."""
    rows = conn.execute(
        "select key_id, supplier_id, tier, role, label, created_at, last_used_at, revoked_at "
        "from app.api_keys where %(supplier)s::text is null or supplier_id = %(supplier)s "
        "order by created_at desc, key_id",
        {"supplier": supplier_id},
    ).fetchall()
    return [ApiKeyRecord(*row) for row in rows]


def revoke_api_key(conn: psycopg.Connection, key_id: str, *, actor: str | None = None) -> bool:
    """Revoke a key by id (audited), with its refresh tokens; False when there was none active."""
    with conn.transaction():
        row = conn.execute(
            "update app.api_keys set revoked_at = now() "
            "where key_id = %s and revoked_at is null returning key_id",
            (key_id,),
        ).fetchone()
        if row is not None:
            conn.execute(
                "update app.refresh_tokens set revoked_at = now() "
                "where key_id = %s and revoked_at is null",
                (key_id,),
            )
            record_audit(conn, actor or command_line_actor(), "api_key.revoked", key_id)
            # Delivered as the revocation commits: every API worker drops the key at once.
            conn.execute("select pg_notify(%s, %s)", (REVOCATION_CHANNEL, key_id))
    return row is not None
