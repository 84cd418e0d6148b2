"""A built warehouse's served data copied into another warehouse: what the API needs to answer.

The API answers from the marts and the models' predictions that a build writes (dbt and the ML
assets). A second warehouse gets them without a build of its own: the replicated warehouse of
`make cluster` (`WEDSYNC_CLUSTER_POSTGRES=patroni`) starts as an empty Postgres, and the API
benchmarks serve a copy they can change. Only those two schemas are copied (`pg_dump`, then
`pg_restore`); the target's own schema is applied after, and the copy is published to the API's
`served` schema with its analytics version bumped (`publish_build`, one transaction), so no
answer cached for an earlier version is served for this data.

The tables' row-level security (their policies, and the switch that enables it) is left out:
the policies name the API's role, which a new Postgres server does not have until the API
creates it, and the API's start-up (`serving.core.db`, `apply_tenancy`) enables row-level
security and writes the policies again on every served table, as a build's post-hooks do.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from wedsync.warehouse.connection import connect
from wedsync.warehouse.schema import apply_schema
from wedsync.warehouse.served import publish_build

SERVED_SCHEMAS = ("marts", "predictions")
#: A mart every build writes: its presence says a warehouse has been built.
BUILT_MART = "marts.vendor_performance"


def _run(*command: str) -> str:
    """Run a Postgres client; its output, or an error carrying what it printed."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _row_security(entry: str) -> bool:
    """Whether a `pg_restore --list` entry is a policy or a table's row-security switch."""
    return " POLICY " in entry or " ROW SECURITY " in entry


def has_served_data(database_url: str) -> bool:
    """Whether the warehouse at `database_url` holds a build's marts."""
    with connect(database_url) as conn:
        row = conn.execute("select to_regclass(%s) is not null", (BUILT_MART,)).fetchone()
    return bool(row and row[0])


def copy_served_data(source_url: str, target_url: str) -> int:
    """Copy the served schemas of `source_url` into `target_url` (which has none of them yet),
    apply the warehouse schema there and publish it; return the new analytics version."""
    schemas = [f"--schema={schema}" for schema in SERVED_SCHEMAS]
    with tempfile.TemporaryDirectory(prefix="wedsync-served-copy-") as work:
        dump, listing = Path(work) / "served.dump", Path(work) / "served.list"
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            *schemas,
            f"--file={dump}",
            source_url,
        )
        entries = _run("pg_restore", "--list", str(dump)).splitlines()
        listing.write_text("\n".join(e for e in entries if not _row_security(e)) + "\n")
        _run(
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--use-list={listing}",
            f"--dbname={target_url}",
            str(dump),
        )
    with connect(target_url) as conn:
        apply_schema(conn)
        return publish_build(conn)[1]
