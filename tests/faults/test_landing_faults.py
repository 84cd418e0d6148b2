"""A landing disk that filled up mid-export, or an unreadable export: the partition fails plainly.

The file a full disk leaves behind is a truncated one; a CSV export can also arrive in an
encoding we cannot decode. Either way the export's partition must fail naming the file, and
the rows an earlier load stored for that date must stay as they were.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.exports import mark_exports_complete
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

DAY = "2026-05-01"
ENQUIRIES = {
    "enquiry_id": ["enq_a", "enq_b"],
    "supplier_id": ["sup_000001", "sup_000002"],
    "couple_id": ["cpl_000001", "cpl_000002"],
    "created_at": [f"{DAY}T10:00:00Z", f"{DAY}T11:00:00Z"],
    "wedding_date": ["2027-06-12", "2027-08-14"],
    "guest_count": ["80", "120"],
}


def _materialize(landing: Path, database_url: str) -> dg.ExecuteInProcessResult:
    enquiries = next(a for a in export_assets if a.key.path[-1] == "enquiries")
    return dg.materialize(
        [enquiries],
        partition_key=DAY,
        resources={
            "warehouse": WarehouseResource(database_url=database_url),
            "landing_zone": LandingZoneResource(landing_dir=str(landing)),
        },
        raise_on_error=False,
    )


def _stored(database_url: str) -> list[str]:
    with connect(database_url) as conn:
        rows = conn.execute("select enquiry_id from raw.enquiries order by 1").fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize("damage", ["truncated_parquet", "undecodable_csv"])
def test_an_unreadable_export_fails_its_partition_and_keeps_earlier_rows(
    tmp_path: Path, damage: str
) -> None:
    folder = tmp_path / "landing" / "exports" / DAY
    folder.mkdir(parents=True)
    export = folder / "enquiries.parquet"
    pq.write_table(pa.table(ENQUIRIES), export)
    mark_exports_complete(tmp_path / "landing")
    with throwaway_database("landing_fault") as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
        assert _materialize(tmp_path / "landing", database_url).success
        if damage == "truncated_parquet":
            data = export.read_bytes()
            export.write_bytes(data[: len(data) // 2])  # the disk filled up mid-write
        else:
            export.unlink()
            export = folder / "enquiries.csv"
            export.write_bytes(b"enquiry_id,supplier_id\n\xff\xfe\x00broken,\x81\n")
        failed = _materialize(tmp_path / "landing", database_url)
        assert not failed.success
        failure = failed.get_step_failure_events()[0].step_failure_data
        messages, error = [], failure.error
        while error is not None:  # the asset's error and the ones it was raised from
            messages.append(error.message)
            error = error.cause
        assert any(str(export) in m and "unreadable" in m for m in messages), messages
        assert _stored(database_url) == ["enq_a", "enq_b"]
