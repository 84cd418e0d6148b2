"""Refresh tokens: long-lived, stored hashed, single use, rotated on every exchange.

A browser dashboard holds a 15-minute access token and a refresh token. Exchanging the refresh
token marks it used and issues its successor in the same family. A used token presented again
means it was copied: the whole family is revoked, so the thief and the user both have to log in
again with the key, which is the safe outcome. Revoking a key revokes its refresh tokens.
"""

from __future__ import annotations

import hmac
import re
import secrets

import psycopg

from wedsync.api_keys import Principal, hash_key

REFRESH_TOKEN_DAYS = 30
PREFIX = "wsr"
_FORMAT = re.compile(r"^wsr_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")

_INSERT = """
insert into app.refresh_tokens (token_id, token_hash, family_id, key_id, expires_at)
values (%s, %s, %s, %s, now() + make_interval(days => %s))
"""
_CLAIM = """
select t.token_hash, t.family_id, t.used_at, t.revoked_at, t.expires_at <= now(),
       k.key_id, k.supplier_id, k.tier, k.role, k.revoked_at
from app.refresh_tokens t join app.api_keys k using (key_id)
where t.token_id = %s
for update of t
"""


class RefreshRefused(ValueError):
    """The refresh token cannot be exchanged; the message says why (answered with 401)."""


async def issue_refresh_token(
    conn: psycopg.AsyncConnection, key_id: str, family_id: str | None = None
) -> str:
    """A new refresh token for `key_id` (a new family unless continuing one); stored hashed."""
    token_id = secrets.token_hex(8)
    token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    await conn.execute(
        _INSERT, (token_id, hash_key(token), family_id or token_id, key_id, REFRESH_TOKEN_DAYS)
    )
    return token


async def rotate_refresh_token(conn: psycopg.AsyncConnection, token: str) -> tuple[Principal, str]:
    """Use a refresh token once: the caller it stands for and its successor, committed."""
    match = _FORMAT.match(token)
    if match is None:
        raise RefreshRefused("malformed refresh token")
    async with conn.transaction():
        cursor = await conn.execute(_CLAIM, (match.group(1),))
        row = await cursor.fetchone()
        if row is None or not hmac.compare_digest(row[0], hash_key(token)):
            raise RefreshRefused("unknown refresh token")
        family, used_at, revoked_at, expired = row[1], row[2], row[3], row[4]
        if used_at is not None:
            await conn.execute(
                "update app.refresh_tokens set revoked_at = now() "
                "where family_id = %s and revoked_at is null",
                (family,),
            )
            # Commit the revocation, then refuse: the refusal must not roll it back.
            reused = True
        else:
            reused = False
            if revoked_at is not None or row[9] is not None:
                raise RefreshRefused("refresh token revoked (its key or session was revoked)")
            if expired:
                raise RefreshRefused("refresh token expired: exchange the API key again")
            await conn.execute(
                "update app.refresh_tokens set used_at = now() where token_id = %s",
                (match.group(1),),
            )
            successor = await issue_refresh_token(conn, row[5], family)
    if reused:
        raise RefreshRefused("refresh token already used: every token of this session is revoked")
    principal = Principal(key_id=row[5], supplier_id=row[6], tier=row[7], role=row[8])
    return principal, successor
