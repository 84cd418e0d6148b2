"""Simulated nights for the orchestration tests: tiny exports, and the deployed instance's home.

Shared by the time-travel test (`test_three_nights`, which evaluates the sensors itself) and
the wall-clock one (`test_daemon_nights`, where `dagster-daemon` does): both land the same
exports and run them against the instance `deploy/dagster.yaml` describes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg

from tests.support import throwaway_database
from wedsync.exports import export_dir, export_marker
from wedsync.settings import REPO_ROOT, get_settings
from wedsync.warehouse import apply_schema

#: Rows of a night's enquiries export: enough for a check to judge, small enough to load fast.
ENQUIRIES_PER_NIGHT = 20

#: The blocking GX rule a broken night breaks (half its guest counts are negative).
GUEST_RANGE_CHECK = dg.AssetCheckKey(
    dg.AssetKey(["raw", "enquiries"]), "enquiry_guest_count_in_range"
)

#: The asset whose partitions say which nights are loaded (what the landing sensor reads).
LOADED = dg.AssetKey(["raw", "enquiries"])


def land(landing: Path, night: dt.date, *, broken: bool = False) -> None:
    """One night's export as the platform writes it: files first, `_SUCCESS` last."""
    folder = export_dir(landing, night)
    folder.mkdir(parents=True)
    (folder / "suppliers.csv").write_text(
        "supplier_id,business_name,vendor_type,region,price_band,base_price_gbp,capacity,joined_at\n"
        f"sup_000001,Hall,venue,London,premium,9000,200,{night}T09:00:00Z\n"
    )
    rows = [
        f"enq_{night}_{n:02d},sup_000001,cpl_{night:%m%d}{n:02d},{night}T10:00:00Z,2027-06-12,"
        f"{-4 if broken and n % 2 else 80},15000,search,{night}T12:00:00Z"
        for n in range(ENQUIRIES_PER_NIGHT)
    ]
    (folder / "enquiries.csv").write_text(
        "enquiry_id,supplier_id,couple_id,created_at,wedding_date,guest_count,budget_gbp,"
        "channel,first_response_at\n" + "\n".join(rows) + "\n"
    )
    export_marker(landing, night).touch()


@dataclass(frozen=True)
class DeployedHome:
    """A throwaway deployment: its DAGSTER_HOME, warehouse and Dagster storage."""

    home: Path
    database_url: str
    dagster_pg_url: str


@contextmanager
def deployed_home(home: Path, prefix: str) -> Iterator[DeployedHome]:
    """`deploy/dagster.yaml` in `home`, over a fresh warehouse (schema applied, as
    `wedsync db init` leaves it) and a fresh storage database; both dropped afterwards.

    The caller points `DAGSTER_HOME` and `DAGSTER_PG_URL` at it (in its own process, or in the
    daemon's environment).
    """
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with (
        throwaway_database(prefix) as database_url,
        throwaway_database(f"{prefix}_dagster") as storage_url,
    ):
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        storage = get_settings().dagster_storage_url(storage_url.rsplit("/", 1)[-1])
        yield DeployedHome(home, database_url, storage)
