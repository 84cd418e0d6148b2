"""`wedsync keys create|list|revoke` against a real warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.support import throwaway_database
from wedsync.api_keys import parse_key_id, verify_api_key
from wedsync.cli import app
from wedsync.settings import get_settings
from wedsync.warehouse import connect

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with throwaway_database("wedsync_cli_keys") as url:
        monkeypatch.setenv("WEDSYNC_DATABASE_URL", url)
        get_settings.cache_clear()
        yield url
    get_settings.cache_clear()


def test_create_list_and_revoke(warehouse: str) -> None:
    created = runner.invoke(app, ["keys", "create", "--supplier", "sup_000123", "--tier", "free"])
    assert created.exit_code == 0, created.output
    key = created.output.strip()
    key_id = parse_key_id(key)
    assert key_id is not None
    with connect(warehouse) as conn:
        principal = verify_api_key(conn, key)
    assert principal is not None and principal.supplier_id == "sup_000123"

    listed = runner.invoke(app, ["keys", "list"])
    assert key_id in listed.output and "sup_000123" in listed.output and "active" in listed.output
    assert key not in listed.output  # the secret is never shown again

    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "REVOKED" in runner.invoke(app, ["keys", "list"]).output
    again = runner.invoke(app, ["keys", "revoke", key_id])
    assert again.exit_code == 1


def test_a_bad_tier_is_refused_naming_it(warehouse: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--supplier", "sup_000123", "--tier", "gold"])
    assert result.exit_code != 0
    assert "tier must be one of" in result.output


def test_every_keys_command_has_help() -> None:
    for command in ([], ["create"], ["list"], ["revoke"]):
        result = runner.invoke(app, ["keys", *command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
