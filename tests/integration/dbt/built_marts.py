"""Building dbt models into the loaded warehouse, reading them, and perturbing them for a test.

Shared by the dbt tests of issue 14's marts (market gaps, couple journey, the couple models'
features): each builds its models and parents with `dbt build` as production does, at a
`benchmark_min_suppliers` this small world can reach, and every truth check is run once on the
built rows and once on rows perturbed inside a transaction that is rolled back.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import psycopg
from psycopg import sql

from orchestration.defs.dbt.environment import dbt_profile_env
from orchestration.defs.dbt.resources import VENV_DBT
from tests.integration.dbt.conftest import AS_OF
from wedsync.settings import DBT_PROJECT_DIR

#: dbt's `benchmark_min_suppliers` for these builds: at this scale (30 suppliers) no market
#: has the production 5, so 2 makes the rule decide something.
MIN_SUPPLIERS = 2


def read_frame(database_url: str, query: str) -> pd.DataFrame:
    """The rows of `query` as a DataFrame named by its columns."""
    with psycopg.connect(database_url) as conn:
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or []])


def _dbt(database_url: str, command: str, target: str, *selectors: str) -> None:
    """`dbt <command> -s <selectors>` against the warehouse, as of the simulation, with
    `MIN_SUPPLIERS`, writing its artifacts under `target`."""
    env = {**os.environ, **dbt_profile_env(database_url)}
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    variables = {"as_of": AS_OF.isoformat(), "benchmark_min_suppliers": MIN_SUPPLIERS}
    subprocess.run(
        [
            VENV_DBT, "--quiet", command, *project, "--target", "prod",
            "--target-path", target, "-s", *selectors,
            "--indirect-selection", "cautious", "--vars", json.dumps(variables),
        ],
        env=env,
        check=True,
    )  # fmt: skip


def dbt_build(database_url: str, *selectors: str) -> None:
    """`dbt build -s <selectors>` (their tests included, not those also reading unbuilt
    models) into the warehouse, as of the simulation, with `MIN_SUPPLIERS`."""
    with tempfile.TemporaryDirectory() as target:
        _dbt(database_url, "build", target, *selectors)


def compiled_select(database_url: str, model: str) -> str:
    """The select dbt runs to build `model` (`dbt compile`), reading the built relations, so
    a test can run it on rows it changed inside a transaction."""
    with tempfile.TemporaryDirectory() as target:
        _dbt(database_url, "compile", target, model)
        (path,) = Path(target, "compiled").rglob(f"{model}.sql")
        return path.read_text()


@contextmanager
def perturbed(database_url: str, relation: str, change: str) -> Iterator[psycopg.Connection]:
    """A connection that sees `relation` (`schema.name`) changed by the statement `change`,
    inside a transaction rolled back afterwards, so other tests see the built rows.

    A view (dbt's intermediate models) is first copied into a table of the same name, the
    view renamed aside: what reads the name reads the perturbed rows.
    """
    schema, name = relation.split(".")
    target = sql.Identifier(schema, name)
    with psycopg.connect(database_url) as conn:
        kind = conn.execute(
            "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relname = %s",
            (schema, name),
        ).fetchone()
        assert kind is not None, f"{relation} is not built"
        if kind[0] == "v":
            aside = sql.Identifier(f"{name}_unperturbed")
            conn.execute(sql.SQL("alter view {} rename to {}").format(target, aside))
            conn.execute(
                sql.SQL("create table {} as select * from {}").format(
                    target, sql.Identifier(schema, f"{name}_unperturbed")
                )
            )
        changed = conn.execute(change).rowcount
        assert changed > 0, f"the perturbation of {relation} changed no row"
        try:
            yield conn
        finally:
            conn.rollback()
