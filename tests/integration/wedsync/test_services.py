"""`wedsync services up`: configured servers are used as they are; otherwise embedded ones start."""

from __future__ import annotations

from pathlib import Path

import pytest

from wedsync import services
from wedsync.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def private_local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Embedded services under a temp dir, on ports no other test or demo uses."""
    monkeypatch.setattr(services, "LOCAL_DIR", tmp_path)
    monkeypatch.setattr(services, "SERVICES_ENV_FILE", tmp_path / "services.env")
    monkeypatch.setattr(services, "EMBEDDED_POSTGRES_PORT", 55999)
    monkeypatch.setattr(services, "EMBEDDED_REDIS_PORT", 56999)
    return tmp_path


def test_answering_servers_are_used_and_nothing_is_started(
    private_local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEDSYNC_DATABASE_URL", get_settings().database_url)
    monkeypatch.setenv("WEDSYNC_REDIS_URL", get_settings().redis_url)
    statuses = services.ensure_services()
    assert [(s.name, s.embedded) for s in statuses] == [("postgres", False), ("redis", False)]
    assert not (private_local_dir / "services.env").exists()


def test_unreachable_servers_are_replaced_by_embedded_ones(
    private_local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEDSYNC_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/wedsync")
    monkeypatch.setenv("WEDSYNC_REDIS_URL", "redis://127.0.0.1:1/0")
    try:
        statuses = services.ensure_services()
        assert [(s.name, s.embedded) for s in statuses] == [("postgres", True), ("redis", True)]
        postgres, redis_status = statuses
        assert postgres.url == "postgresql://postgres@127.0.0.1:55999/wedsync"
        assert services.postgres_answers(postgres.url)
        assert services.redis_answers(redis_status.url)
        written = (private_local_dir / "services.env").read_text()
        assert "WEDSYNC_DATABASE_URL=postgresql://postgres@127.0.0.1:55999/wedsync" in written
    finally:
        stopped = services.stop_embedded_services()
    assert stopped == ["postgres", "redis"]
    assert not services.postgres_answers("postgresql://postgres@127.0.0.1:55999/postgres")
