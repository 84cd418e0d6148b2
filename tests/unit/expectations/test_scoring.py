"""Reading the simulator's truth file for scoring."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from expectations.scoring import DEFECTS_FILE, injected_defects


def test_injected_defects_are_keyed_by_type_table_and_row(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "defect_type": ["invalid_wedding_date", "booking_after_wedding"],
                "table_name": ["enquiries", "bookings"],
                "row_key": ["enq_0000007", "bkg_0000003"],
                "column_name": ["wedding_date", "wedding_date"],
                "value": ["2027-02-30", "2025-01-01"],
            }
        ),
        tmp_path / DEFECTS_FILE,
    )
    assert injected_defects(tmp_path) == {
        ("invalid_wedding_date", "enquiries", "enq_0000007"),
        ("booking_after_wedding", "bookings", "bkg_0000003"),
    }


def test_a_missing_truth_file_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="truth_dir"):
        injected_defects(tmp_path)
