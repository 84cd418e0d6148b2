"""Short-lived access tokens: HS256 JWTs signed with a secret that never enters the repo.

PyJWT is not in the dependency set, and HS256 is one HMAC: encoding and checking it here
(with `alg` pinned, so a token claiming `none` or RS256 is refused) is a few lines.
The secret comes from `WEDSYNC_JWT_SECRET`, else from `.local/jwt_secret`, created on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

import orjson

from wedsync.api_keys import KEY_PREFIX, Principal
from wedsync.settings import LOCAL_DIR

ACCESS_TOKEN_SECONDS = 15 * 60
SECRET_FILE = LOCAL_DIR / "jwt_secret"
_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """A bearer token that is malformed, forged or expired; the message says which."""


def is_access_token(credential: str) -> bool:
    """Whether a bearer credential is an access token (a JWT) rather than an API key."""
    return credential.count(".") == 2 and not credential.startswith(f"{KEY_PREFIX}_")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(path: Path = SECRET_FILE) -> bytes:
    """The signing secret: `WEDSYNC_JWT_SECRET`, else the file, generated (mode 600) if missing."""
    configured = os.environ.get("WEDSYNC_JWT_SECRET")
    if configured:
        return configured.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "w") as secret_file:
        secret_file.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()


class TokenSigner:
    """Issues and checks access tokens carrying the caller's key id, supplier, tier and role."""

    def __init__(self, secret: bytes, lifetime_seconds: int = ACCESS_TOKEN_SECONDS):
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        self._header = _b64encode(orjson.dumps(_HEADER))

    def _sign(self, signing_input: str) -> str:
        digest = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return _b64encode(digest)

    def issue(self, principal: Principal, now: float | None = None) -> str:
        """An access token for `principal`, valid for `lifetime_seconds`."""
        issued_at = int(now if now is not None else time.time())
        claims = {
            "sub": principal.key_id,
            "supplier_id": principal.supplier_id,
            "tier": principal.tier,
            "role": principal.role,
            "typ": "access",
            "iat": issued_at,
            "exp": issued_at + self.lifetime_seconds,
        }
        signing_input = f"{self._header}.{_b64encode(orjson.dumps(claims))}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def verify(self, token: str, now: float | None = None) -> Principal:
        """The caller a token was issued to; `InvalidToken` naming what is wrong otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("malformed access token (expected header.claims.signature)")
        header_part, claims_part, signature = parts
        if not hmac.compare_digest(self._sign(f"{header_part}.{claims_part}"), signature):
            raise InvalidToken("access token signature does not match")
        try:
            header = orjson.loads(_b64decode(header_part))
            claims = orjson.loads(_b64decode(claims_part))
        except (orjson.JSONDecodeError, binascii.Error, ValueError) as error:
            raise InvalidToken("malformed access token (undecodable header or claims)") from error
        if header != _HEADER or not isinstance(claims, dict) or claims.get("typ") != "access":
            raise InvalidToken("not a WedSync access token (alg must be HS256, typ access)")
        expires = claims.get("exp")
        if not isinstance(expires, int) or expires <= (now if now is not None else time.time()):
            raise InvalidToken("access token expired: exchange the refresh token for a new one")
        return Principal(
            key_id=str(claims["sub"]),
            supplier_id=claims.get("supplier_id"),
            tier=str(claims["tier"]),
            role=str(claims["role"]),
        )
