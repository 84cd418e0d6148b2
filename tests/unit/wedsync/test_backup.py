"""pgBackRest wiring that needs no server: archiving settings, configuration, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wedsync.backup import BackupConfig, BackupError, refuse_embedded, restore, write_config


def test_archiving_pushes_every_wal_segment_to_the_configured_stanza(tmp_path: Path) -> None:
    config = BackupConfig(tmp_path / "pgbackrest.conf", "wedsync")
    settings = config.archive_settings()
    assert settings["archive_mode"] == "on"
    assert settings["wal_level"] == "replica"
    assert f"--config={config.config_path}" in settings["archive_command"]
    assert "--stanza=wedsync archive-push %p" in settings["archive_command"]


def test_the_configuration_keeps_a_week_of_fulls_for_the_cluster(tmp_path: Path) -> None:
    config = BackupConfig(tmp_path / "etc" / "pgbackrest.conf", "wedsync")
    write_config(
        config,
        repository=tmp_path / "repo",
        data_dir=Path("/var/lib/postgresql/15/main"),
        port=5432,
        socket_dir=Path("/var/run/postgresql"),
    )
    text = config.config_path.read_text()
    assert "repo1-retention-full=7" in text
    assert "[wedsync]\npg1-path=/var/lib/postgresql/15/main\npg1-port=5432" in text


def test_the_embedded_fallback_is_refused_with_the_reason() -> None:
    with pytest.raises(BackupError, match=r"embedded fallback.*need the real PostgreSQL service"):
        refuse_embedded("postgresql://postgres@127.0.0.1:55432/wedsync")
    refuse_embedded("postgresql://postgres@127.0.0.1:5432/wedsync")


def test_a_restore_needs_a_time_zone_and_a_new_directory(tmp_path: Path) -> None:
    config = BackupConfig(tmp_path / "pgbackrest.conf")
    with pytest.raises(BackupError, match="needs a time zone"):
        restore(config, dt.datetime(2026, 6, 13, 14, 5), tmp_path / "new")
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "PG_VERSION").write_text("15")
    with pytest.raises(BackupError, match="not empty"):
        restore(config, dt.datetime(2026, 6, 13, 14, 5, tzinfo=dt.UTC), tmp_path / "live")
