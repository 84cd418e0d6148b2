"""Where the API reads marts from: the replica's URL, as the API's role, or none."""

from __future__ import annotations

import pytest

from serving.core.config import api_replica_database_url


def test_no_replica_means_the_primary_serves_every_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEDSYNC_REPLICA_DATABASE_URL", raising=False)
    assert api_replica_database_url() is None


def test_the_replica_is_read_as_the_apis_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEDSYNC_REPLICA_DATABASE_URL", "postgresql://postgres@127.0.0.1:8777/ws")
    assert api_replica_database_url() == "postgresql://wedsync_api@127.0.0.1:8777/ws"


def test_a_replica_that_is_not_a_postgres_url_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEDSYNC_REPLICA_DATABASE_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(ValueError, match="WEDSYNC_REPLICA_DATABASE_URL"):
        api_replica_database_url()
