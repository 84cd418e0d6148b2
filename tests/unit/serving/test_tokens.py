"""HS256 access tokens: round trip, expiry, tampering, algorithm pinning, the secret file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import orjson
import pytest

from serving.security.tokens import InvalidToken, TokenSigner, load_secret
from wedsync.api_keys import Principal

VIEWER = Principal("0123456789ab", "sup_000001", "professional", "supplier_viewer")


def test_a_token_carries_the_caller_until_it_expires() -> None:
    signer = TokenSigner(b"s" * 32, lifetime_seconds=900)
    token = signer.issue(VIEWER, now=1_000)
    assert signer.verify(token, now=1_899) == VIEWER
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(token, now=1_900)


def test_a_token_signed_with_another_secret_or_edited_is_refused() -> None:
    token = TokenSigner(b"a" * 32).issue(VIEWER)
    with pytest.raises(InvalidToken, match="signature"):
        TokenSigner(b"b" * 32).verify(token)
    header, _, signature = token.split(".")
    upgraded = {"sub": "0123456789ab", "tier": "platform", "role": "platform_admin"}
    claims = base64.urlsafe_b64encode(orjson.dumps(upgraded)).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="signature"):
        TokenSigner(b"a" * 32).verify(f"{header}.{claims}.{signature}")


def test_alg_none_is_refused_even_with_a_matching_signature() -> None:
    signer = TokenSigner(b"k" * 32)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    claims = signer.issue(VIEWER).split(".")[1]
    forged = f"{header}.{claims}.{signer._sign(f'{header}.{claims}')}"
    with pytest.raises(InvalidToken, match="HS256"):
        signer.verify(forged)
    with pytest.raises(InvalidToken, match="malformed"):
        signer.verify("only.two")


def test_the_secret_is_generated_once_private_and_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEDSYNC_JWT_SECRET", raising=False)
    path = tmp_path / "jwt_secret"
    first = load_secret(path)
    assert len(first) >= 32
    assert load_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("WEDSYNC_JWT_SECRET", "from-the-environment")
    assert load_secret(path) == b"from-the-environment"
