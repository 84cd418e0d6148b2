"""The JWT secret is checked and written once, atomically (High #4)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from serving.security.tokens import MIN_SECRET_BYTES, WeakSecret, load_secret
from tests.integration.serving.conftest import serve

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

#: A bound on one round of 8 workers reading the secret.
POOL_SECONDS = 120


async def test_the_api_refuses_to_start_with_a_short_secret(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEDSYNC_JWT_SECRET", "short")
    with pytest.raises(WeakSecret, match=f"at least {MIN_SECRET_BYTES}"):
        async with serve(warehouse_url):
            pass


def test_an_empty_or_truncated_secret_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEDSYNC_JWT_SECRET", raising=False)
    for content in (b"", b"\n", b"abc"):
        path = tmp_path / "jwt_secret"
        path.write_bytes(content)
        with pytest.raises(WeakSecret):
            load_secret(path)


def _read_secret(path: str) -> bytes:
    return load_secret(Path(path))


def test_workers_starting_together_all_read_the_one_complete_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEDSYNC_JWT_SECRET", raising=False)
    # Spawned, not forked: a fork of this many-threaded test process can copy a lock held by
    # another thread, and a pool worker then waits on it forever (seen in a long run). One pool
    # for every round: each round's 8 reads go to 8 idle workers at once.
    with multiprocessing.get_context("spawn").Pool(8) as workers:
        for attempt in range(5):
            path = tmp_path / f"jwt_secret_{attempt}"
            secrets = workers.map_async(_read_secret, [str(path)] * 8).get(timeout=POOL_SECONDS)
            assert len(set(secrets)) == 1
            assert len(secrets[0]) >= MIN_SECRET_BYTES
            assert secrets[0] == path.read_bytes().strip()
