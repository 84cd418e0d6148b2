"""The landing zone layout: rows exported on the right date, both formats readable, and the
same seed giving byte-identical files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.simulator.conftest import AS_OF
from tests.unit.simulator.landing import read_entity
from wedsync.exports import EXPORT_START_DATE, export_dates, truth_dir
from wedsync.simulator import SimulationConfig, simulate
from wedsync.warehouse.loader import read_export
from wedsync.warehouse.schema import RAW_TABLES

#: The timestamp each entity's rows are exported on (docs/internals.md, "Landing zone").
EXPORTED_ON = {
    "couples": "signed_up_at",
    "enquiries": "created_at",
    "payments": "paid_at",
    "reviews": "posted_at",
}


def test_rows_are_exported_on_the_day_they_happened(mid_exports: dict[str, pd.DataFrame]):
    for entity, column in EXPORTED_ON.items():
        rows = mid_exports[entity]
        assert (rows[column].str[:10] == rows["_export_date"]).all(), entity
    suppliers = mid_exports["suppliers"]
    joined = suppliers["joined_at"].str[:10].clip(lower=EXPORT_START_DATE.isoformat())
    assert (joined == suppliers["_export_date"]).all()
    bookings = mid_exports["bookings"]
    confirmed = bookings[bookings["status"] == "confirmed"]
    cancelled = bookings[bookings["status"] == "cancelled"]
    assert confirmed["cancelled_at"].isna().all()
    assert (confirmed["booked_at"].str[:10] == confirmed["_export_date"]).all()
    assert (cancelled["cancelled_at"].str[:10] == cancelled["_export_date"]).all()
    assert cancelled["booking_id"].isin(confirmed["booking_id"]).all()
    assert confirmed["booking_id"].is_unique


def test_export_dates_span_the_history_and_stop_before_as_of(mid_landing: Path):
    dates = export_dates(mid_landing)
    assert dates[0] == EXPORT_START_DATE
    assert dates[-1] < AS_OF
    assert len(dates) > 0.95 * (AS_OF - EXPORT_START_DATE).days


def test_no_empty_files_and_columns_in_raw_table_order(small_csv_landing: Path):
    for folder in (small_csv_landing / "exports").iterdir():
        for path in folder.glob("*.*"):  # the files, not the _SUCCESS marker
            columns, rows = read_export(path)
            assert columns == list(RAW_TABLES[path.stem].columns)
            assert rows, f"{path} has no rows"


def test_csv_and_parquet_carry_the_same_text(tmp_path: Path, small_csv_landing: Path):
    parquet = tmp_path / "parquet"
    simulate(SimulationConfig(landing_dir=parquet, as_of=AS_OF, seed=3, scale=0.05))
    for entity in RAW_TABLES:
        from_csv = read_entity(small_csv_landing, entity)
        from_parquet = read_entity(parquet, entity)
        pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)
    assert list((small_csv_landing / "exports" / "2024-01-01").glob("*.csv"))


def _file_bytes(landing: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(landing)): path.read_bytes()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path):
    def run(folder: str, seed: int) -> dict[str, bytes]:
        landing = tmp_path / folder
        simulate(SimulationConfig(landing_dir=landing, as_of=AS_OF, seed=seed, scale=0.02))
        return _file_bytes(landing)

    first, again, other = run("a", 11), run("b", 11), run("c", 12)
    assert first == again
    assert first != other


def test_a_rerun_replaces_the_previous_simulation(tmp_path: Path):
    simulate(SimulationConfig(landing_dir=tmp_path, as_of=AS_OF, seed=1, scale=0.02))
    earlier = dt.date(2025, 3, 1)
    simulate(SimulationConfig(landing_dir=tmp_path, as_of=earlier, seed=1, scale=0.02))
    assert export_dates(tmp_path)[-1] < earlier
    manifest = json.loads((truth_dir(tmp_path) / "manifest.json").read_text())
    assert manifest["parameters"]["as_of"] == earlier.isoformat()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["_truth", "exports"]


def test_summary_and_manifest_agree_with_the_files(mid_run, mid_exports):
    landing, summary = mid_run
    manifest = json.loads((truth_dir(landing) / "manifest.json").read_text())
    rows = {entity: len(frame) for entity, frame in mid_exports.items()}
    assert summary.rows == rows == manifest["rows"]
    assert summary.defects == manifest["defects"]
    text = str(summary)
    assert "enquiries" in text and "booking rate" in text and "invalid_wedding_date" in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scale", 0.0, "scale"),
        ("file_format", "xlsx", "file_format"),
        ("as_of", dt.date(2024, 2, 1), "as_of"),
        ("seed", -1, "seed"),
    ],
)
def test_bad_configuration_names_the_field(tmp_path: Path, field: str, value, message: str):
    arguments = {"landing_dir": tmp_path, "as_of": AS_OF, field: value}
    with pytest.raises(ValueError, match=message):
        SimulationConfig(**arguments)
