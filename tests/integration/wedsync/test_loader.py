"""The COPY loader: values land as text, exactly as exported, and reloading changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support import throwaway_database
from wedsync.exports import export_dir
from wedsync.warehouse import apply_schema
from wedsync.warehouse.ingest import load_exports

pytestmark = pytest.mark.integration

NIGHT = dt.date(2026, 5, 1)


def _write_enquiries(landing: Path, fmt: str) -> None:
    folder = export_dir(landing, NIGHT)
    folder.mkdir(parents=True)
    if fmt == "csv":
        (folder / "enquiries.csv").write_text(
            "enquiry_id,supplier_id,wedding_date,guest_count,budget_gbp\n"
            "enq_1,sup_1,2027-02-30,-4,18000.50\n"
            "enq_2,sup_1,2027-06-12,,\n"
        )
    else:
        pq.write_table(
            pa.table(
                {
                    "enquiry_id": ["enq_1", "enq_2"],
                    "supplier_id": ["sup_1", "sup_1"],
                    "wedding_date": ["2027-02-30", "2027-06-12"],
                    "guest_count": [-4, None],
                    "budget_gbp": [18000.5, None],
                }
            ),
            folder / "enquiries.parquet",
        )


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_keeps_malformed_values_and_is_idempotent(tmp_path: Path, fmt: str) -> None:
    _write_enquiries(tmp_path, fmt)
    with throwaway_database("wedsync_test_loader") as url, psycopg.connect(url) as conn:
        apply_schema(conn)
        for _ in range(2):
            results = load_exports(
                conn, "enquiries", tmp_path, [NIGHT, NIGHT + dt.timedelta(days=1)]
            )
        rows = conn.execute(
            "select enquiry_id, wedding_date, guest_count, budget_gbp, _export_date, _line "
            "from raw.enquiries order by _line"
        ).fetchall()
    assert [r.rows for r in results] == [2]
    assert rows == [
        ("enq_1", "2027-02-30", "-4", "18000.5" if fmt == "parquet" else "18000.50", NIGHT, 1),
        ("enq_2", "2027-06-12", None, None, NIGHT, 2),
    ]


def test_unknown_export_column_is_refused_naming_it(tmp_path: Path) -> None:
    folder = export_dir(tmp_path, NIGHT)
    folder.mkdir(parents=True)
    (folder / "enquiries.csv").write_text("enquiry_id,favourite_colour\nenq_1,teal\n")
    with throwaway_database("wedsync_test_loader") as url, psycopg.connect(url) as conn:
        apply_schema(conn)
        with pytest.raises(ValueError, match="favourite_colour"):
            load_exports(conn, "enquiries", tmp_path, [NIGHT])
