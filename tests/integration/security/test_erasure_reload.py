"""Erasure survives a reload of the exports (issue 15, High #3).

Before, the landing export files still held the erased couple's names and email, so
re-materializing an export date (a Dagster backfill of that partition) brought the couple back.
Now the loader erases queued couples again in every export it loads, and
`retention/landing_erasures` rewrites the files themselves, after which nothing names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.retention.assets import landing_erasures
from orchestration.resources import WarehouseResource
from serving.core.config import API_ROLE
from serving.security.tenancy import apply_tenancy
from tests.integration.security.erasure_support import (
    COUPLE,
    EMAIL,
    IDENTIFYING,
    NAMES,
    OTHER_COUPLE,
    SUPPLIER,
    connect_as,
    tables_naming,
)
from tests.support import throwaway_database
from wedsync.exports import export_dir, mark_exports_complete
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

EXPORT_DATE = dt.date(2025, 1, 1)
PARTITION = EXPORT_DATE.isoformat()
RELOADED = [asset for asset in export_assets if asset.key.path[-1] in ("couples", "enquiries")]


def _write_export(landing: Path) -> Path:
    """One night's export naming the couple: couples as Parquet, enquiries as CSV."""
    folder = export_dir(landing, EXPORT_DATE)
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "couple_id": [COUPLE, OTHER_COUPLE],
                "partner_one_name": [NAMES[0], "Bo"],
                "partner_two_name": [NAMES[1], "Cy"],
                "email": [EMAIL, "bo@example.com"],
                "region": ["london", "wales"],
                "signed_up_at": ["2024-12-01T10:00:00Z", "2024-12-02T10:00:00Z"],
            }
        ),
        folder / "couples.parquet",
    )
    (folder / "enquiries.csv").write_text(
        "enquiry_id,supplier_id,couple_id,created_at,wedding_date,guest_count\n"
        f"enq_0000001,{SUPPLIER},{COUPLE},2024-12-20T10:00:00Z,2026-06-12,80\n"
        f"enq_0000002,{SUPPLIER},{OTHER_COUPLE},2024-12-21T10:00:00Z,2026-08-14,120\n"
    )
    mark_exports_complete(landing)
    return folder


def _names_the_couple(folder: Path) -> bool:
    text = pq.read_table(folder / "couples.parquet").to_pandas().to_csv()
    text += (folder / "enquiries.csv").read_text()
    return any(needle in text for needle in IDENTIFYING)


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    with throwaway_database("wedsync_erasure_reload") as url:
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
        yield url


def _materialize(
    assets: list[dg.AssetsDefinition], warehouse_url: str, landing: Path, partition: str | None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        partition_key=partition,
        resources={
            "warehouse": WarehouseResource(database_url=warehouse_url),
            "landing_zone": LandingZoneResource(landing_dir=str(landing)),
        },
    )


def test_reloading_an_export_date_after_erasure_brings_nothing_back(
    warehouse_url: str, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    folder = _write_export(landing)
    assert _materialize(RELOADED, warehouse_url, landing, PARTITION).success
    assert "raw.couples" in tables_naming(warehouse_url)

    with connect_as(warehouse_url, API_ROLE) as conn:
        conn.execute("select app.erase_couple(%s, 'api:test')", (COUPLE,))
        conn.commit()
    assert tables_naming(warehouse_url) == {"privacy.landing_erasures": 1}

    # A backfill of the export date before the files are rewritten: erased again on load.
    assert _materialize(RELOADED, warehouse_url, landing, PARTITION).success
    assert tables_naming(warehouse_url) == {"privacy.landing_erasures": 1}
    with connect(warehouse_url) as conn:
        first = conn.execute(
            "select couple_id from raw.enquiries where enquiry_id = 'enq_0000001'"
        ).fetchall()

    # The files are rewritten the way the warehouse was, and the queue forgets the couple.
    assert _names_the_couple(folder)
    assert _materialize([landing_erasures], warehouse_url, landing, None).success
    assert not _names_the_couple(folder)
    assert tables_naming(warehouse_url) == {}

    assert _materialize(RELOADED, warehouse_url, landing, PARTITION).success
    assert tables_naming(warehouse_url) == {}
    with connect(warehouse_url) as conn:
        reloaded = conn.execute(
            "select couple_id from raw.enquiries where enquiry_id = 'enq_0000001'"
        ).fetchall()
        couples = conn.execute(
            "select partner_one_name, email from raw.couples order by couple_id"
        ).fetchall()
        audit = conn.execute(
            "select details ->> 'couples', details ->> 'files' from app.audit_log "
            "where action = 'retention.landing_erasures'"
        ).fetchall()
    # The pseudonym in the rewritten files is the one the warehouse got: one couple still.
    assert reloaded == first and first[0][0].startswith("cpl_erased_")
    assert couples == [("Bo", "bo@example.com"), (None, None)]
    assert audit == [("1", "2")]
