"""Short-lived access tokens: HS256 JWTs (PyJWT) signed with a secret that never enters the repo.

Decoding pins `algorithms=["HS256"]` (a token claiming `none` or RS256 is refused), requires
`exp`, `iat`, `sub`, `iss` and `aud`, and allows `LEEWAY_SECONDS` of clock skew between workers.
The secret comes from `WEDSYNC_JWT_SECRET`, else from `.local/jwt_secret`, created on first use;
either way it must hold at least `MIN_SECRET_BYTES`, or the API refuses to start: an empty or
truncated secret would let anyone forge a platform admin's token.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

import jwt

from wedsync.api_keys import KEY_PREFIX, Principal
from wedsync.settings import LOCAL_DIR

ACCESS_TOKEN_SECONDS = 15 * 60
SECRET_FILE = LOCAL_DIR / "jwt_secret"
#: HS256's key should be at least as long as its hash (RFC 7518 §3.2).
MIN_SECRET_BYTES = 32
LEEWAY_SECONDS = 5
MAX_REMEMBERED_TOKENS = 10_000
ISSUER = "wedsync-api"
AUDIENCE = "wedsync-analytics"
_ALGORITHMS = ["HS256"]
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]


class InvalidToken(ValueError):
    """A bearer token that is malformed, forged or expired; the message says which."""


class WeakSecret(RuntimeError):
    """The signing secret is missing or too short: the API must not start with it."""


def is_access_token(credential: str) -> bool:
    """Whether a bearer credential is an access token (a JWT) rather than an API key."""
    return credential.count(".") == 2 and not credential.startswith(f"{KEY_PREFIX}_")


def _checked(secret: bytes, source: str) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"the JWT secret from {source} has {len(secret)} bytes; it needs at least "
            f"{MIN_SECRET_BYTES} (generate one with `openssl rand -base64 48`)"
        )
    return secret


def _write_once(path: Path) -> None:
    """Create `path` with a fresh secret, atomically: complete or absent, never partial.

    The secret is written and synced under a temporary name, then hard-linked to `path`, which
    fails if another worker got there first (its secret wins, and every worker reads that one).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as secret_file:
            secret_file.write(secrets.token_urlsafe(48))
            secret_file.flush()
            os.fsync(secret_file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_secret(path: Path = SECRET_FILE) -> bytes:
    """The signing secret: `WEDSYNC_JWT_SECRET`, else the file, generated (mode 600) if missing.

    Raises `WeakSecret` when the secret found is shorter than `MIN_SECRET_BYTES`.
    """
    configured = os.environ.get("WEDSYNC_JWT_SECRET")
    if configured is not None:
        return _checked(configured.encode(), "WEDSYNC_JWT_SECRET")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_once(path)
    return _checked(path.read_bytes().strip(), str(path))


class TokenSigner:
    """Issues and checks access tokens carrying the caller's key id, supplier, tier and role."""

    def __init__(self, secret: bytes, lifetime_seconds: int = ACCESS_TOKEN_SECONDS):
        self._secret = _checked(secret, "the signer's secret")
        self.lifetime_seconds = lifetime_seconds
        # Tokens verified already, with when they stop being accepted: a dashboard presents
        # the same token for 15 minutes, and the hot path should not decode it each time.
        self._verified: dict[str, tuple[Principal, float]] = {}

    def issue(self, principal: Principal, now: float | None = None) -> str:
        """An access token for `principal`, valid for `lifetime_seconds`."""
        issued_at = int(now if now is not None else time.time())
        claims = {
            "sub": principal.key_id,
            "supplier_id": principal.supplier_id,
            "tier": principal.tier,
            "role": principal.role,
            "typ": "access",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": issued_at,
            "exp": issued_at + self.lifetime_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def claims(self, token: str) -> dict[str, object]:
        """The verified claims of a token; `InvalidToken` naming what is wrong otherwise."""
        if not token.isascii():
            raise InvalidToken("malformed access token (not ASCII)")
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._secret,
                algorithms=_ALGORITHMS,
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken(
                "access token expired: exchange the refresh token for a new one"
            ) from error
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid access token: {error}") from error
        if claims.get("typ") != "access":
            raise InvalidToken("not a WedSync access token (typ must be access)")
        return claims

    def verify(self, token: str) -> Principal:
        """The caller a token was issued to; `InvalidToken` naming what is wrong otherwise."""
        return self._verify(token)[0]

    def expires_at(self, token: str) -> float:
        """When a valid token stops being accepted (epoch seconds, leeway included)."""
        return self._verify(token)[1]

    def _verify(self, token: str) -> tuple[Principal, float]:
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > time.time():
            return remembered
        claims = self.claims(token)
        supplier, expiry = claims.get("supplier_id"), claims["exp"]
        principal = Principal(
            key_id=str(claims["sub"]),
            supplier_id=None if supplier is None else str(supplier),
            tier=str(claims.get("tier")),
            role=str(claims.get("role")),
        )
        verified = (
            principal,
            float(expiry if isinstance(expiry, int | float) else 0) + LEEWAY_SECONDS,
        )
        if len(self._verified) >= MAX_REMEMBERED_TOKENS:
            self._verified.clear()
        self._verified[token] = verified
        return verified
