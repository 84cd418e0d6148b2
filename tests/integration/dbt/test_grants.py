"""dbt's `grants:` give the API's role SELECT on the served models on prod only, inside each
model's own build, and a prod build still works on a server where that role does not exist."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orchestration.defs.dbt.environment import dbt_profile_env
from orchestration.defs.dbt.resources import VENV_DBT
from serving.core.config import API_ROLE
from serving.security.tenancy import apply_tenancy
from tests.support import throwaway_database
from wedsync.settings import DBT_PROJECT_DIR
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

NO_SUCH_ROLE = "wedsync_no_such_role"


@pytest.fixture(scope="module")
def warehouse() -> Iterator[str]:
    """An empty warehouse on a server where the API's role exists, without the policy procedure.

    The role is created as the API creates it at start-up; the procedure that API start-up also
    creates is dropped, so only dbt's `grants:` can grant the API anything here.
    """
    with throwaway_database("wedsync_grants") as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
            conn.execute("drop procedure app.apply_row_level_security()")
        yield database_url


def _dbt(database_url: str, tmp_path: Path, target: str, *args: str) -> str:
    """Run dbt against `database_url` on `target`, as an analyst's shell would; its stdout."""
    env = {**os.environ, **dbt_profile_env(database_url), "WEDSYNC_ANALYST": "alice"}
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(
        [VENV_DBT, "--quiet", *args, *project, "--target", target, "--target-path", str(tmp_path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _api_may_select(database_url: str, relation: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "select has_table_privilege(%s, %s::regclass, 'select')", (API_ROLE, relation)
        ).fetchone()
    assert row is not None
    return bool(row[0])


def test_prod_grants_the_api_its_served_models_and_dev_grants_nothing(
    warehouse: str, tmp_path: Path
) -> None:
    _dbt(warehouse, tmp_path / "prod", "prod", "run", "-s", "+dim_suppliers")
    assert _api_may_select(warehouse, "marts.dim_suppliers")
    assert not _api_may_select(warehouse, "staging.stg_suppliers")
    _dbt(warehouse, tmp_path / "dev", "dev", "run", "-s", "+dim_suppliers")
    assert not _api_may_select(warehouse, "dev_alice_marts.dim_suppliers")


def test_a_grant_to_a_role_that_does_not_exist_yet_is_skipped(
    warehouse: str, tmp_path: Path
) -> None:
    """A fresh server has no API role until the API first starts; the build must not fail."""
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create table marts.grant_probe (supplier_id text)")
        missing = conn.execute("select 1 from pg_roles where rolname = %s", (NO_SUCH_ROLE,))
        assert missing.fetchone() is None
    grant = json.loads(
        _dbt(
            warehouse,
            tmp_path,
            "prod",
            "compile",
            "--output",
            "json",
            "--inline",
            "{{ get_grant_sql(api.Relation.create(schema='marts', identifier='grant_probe'),"
            f" 'select', ['{NO_SUCH_ROLE}', '{API_ROLE}']) }}}}",
        )
    )["compiled"]
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(grant)
    assert _api_may_select(warehouse, "marts.grant_probe")
