"""HS256 access tokens (PyJWT): round trip, expiry, tampering, pinned claims, the secret file."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest

from serving.security.tokens import (
    AUDIENCE,
    ISSUER,
    LEEWAY_SECONDS,
    InvalidToken,
    TokenSigner,
    load_secret,
)
from wedsync.api_keys import Principal

VIEWER = Principal("0123456789ab", "sup_000001", "professional", "supplier_viewer")
SECRET = b"s" * 32


def test_a_token_carries_the_caller_until_it_expires() -> None:
    signer = TokenSigner(SECRET, lifetime_seconds=900)
    assert signer.verify(signer.issue(VIEWER)) == VIEWER
    expired = signer.issue(VIEWER, now=time.time() - 900 - LEEWAY_SECONDS - 1)
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(expired)


def test_a_token_signed_with_another_secret_or_edited_is_refused() -> None:
    token = TokenSigner(b"a" * 32).issue(VIEWER)
    with pytest.raises(InvalidToken, match=r"[Ss]ignature"):
        TokenSigner(b"b" * 32).verify(token)
    header, _, signature = token.split(".")
    upgraded = jwt.encode({"sub": "x", "tier": "platform"}, b"c" * 32).split(".")[1]
    with pytest.raises(InvalidToken, match=r"[Ss]ignature"):
        TokenSigner(b"a" * 32).verify(f"{header}.{upgraded}.{signature}")


def test_alg_none_and_missing_claims_are_refused() -> None:
    now = int(time.time())
    claims = {"sub": "k", "typ": "access", "iat": now, "exp": now + 60}
    unsigned = jwt.encode({**claims, "iss": ISSUER, "aud": AUDIENCE}, None, algorithm="none")
    with pytest.raises(InvalidToken, match="alg value is not allowed"):
        TokenSigner(SECRET).verify(unsigned)
    # Right key, but no issuer and audience: not one of ours.
    with pytest.raises(InvalidToken, match=r"iss|aud"):
        TokenSigner(SECRET).verify(jwt.encode(claims, SECRET, algorithm="HS256"))
    with pytest.raises(InvalidToken):
        TokenSigner(SECRET).verify("only.two")


def test_a_non_ascii_token_is_refused_not_an_error() -> None:
    with pytest.raises(InvalidToken, match="ASCII"):
        TokenSigner(SECRET).verify("é.é.é")


def test_the_secret_is_generated_once_private_and_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEDSYNC_JWT_SECRET", raising=False)
    path = tmp_path / "jwt_secret"
    first = load_secret(path)
    assert len(first) >= 32
    assert load_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    monkeypatch.setenv("WEDSYNC_JWT_SECRET", "e" * 40)
    assert load_secret(path) == b"e" * 40
