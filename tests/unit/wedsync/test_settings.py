"""Settings: environment first, then the embedded-services file, then the documented defaults."""

from __future__ import annotations

import pytest

from wedsync import settings as settings_module
from wedsync.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(settings_module, "SERVICES_ENV_FILE", tmp_path / "services.env")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_dbt_env_is_derived_from_the_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "WEDSYNC_DATABASE_URL", "postgresql://ana%40lyst:s3cret@db.example:6543/weddings"
    )
    env = get_settings().dbt_env()
    assert env == {
        "WEDSYNC_PG_HOST": "db.example",
        "WEDSYNC_PG_PORT": "6543",
        "WEDSYNC_PG_USER": "ana@lyst",
        "WEDSYNC_PG_PASSWORD": "s3cret",
        "WEDSYNC_PG_DATABASE": "weddings",
    }


def test_embedded_services_file_is_a_fallback_behind_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings_module.SERVICES_ENV_FILE.write_text(
        "# written by wedsync services up\n"
        "WEDSYNC_DATABASE_URL=postgresql://postgres@127.0.0.1:55432/wedsync\n"
        "WEDSYNC_REDIS_URL=redis://127.0.0.1:56379/0\n"
    )
    monkeypatch.delenv("WEDSYNC_DATABASE_URL", raising=False)
    monkeypatch.setenv("WEDSYNC_REDIS_URL", "redis://10.0.0.9:6379/1")
    settings = get_settings()
    assert settings.database_url.endswith(":55432/wedsync")
    assert settings.redis_url == "redis://10.0.0.9:6379/1"


def test_database_url_for_keeps_the_server_and_swaps_the_database() -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:5432/wedsync",
        redis_url="redis://127.0.0.1:6379/0",
        mlflow_tracking_uri="sqlite:///x.db",
        dagster_home=settings_module.LOCAL_DIR,
        landing_dir=settings_module.LOCAL_DIR,
    )
    assert settings.database_url_for("wedsync_dagster") == (
        "postgresql://postgres@127.0.0.1:5432/wedsync_dagster"
    )
