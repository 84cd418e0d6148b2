"""Rewriting one export file without erased couples: Parquet keeps its schema, CSV its layout."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wedsync.landing_erasure import rewrite_export

PSEUDONYMS = {"cpl_000001": "cpl_erased_00000000000000aa"}


def test_a_parquet_couples_export_loses_the_couple_but_keeps_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "couples.parquet"
    schema = pa.schema(
        [("couple_id", pa.large_string()), ("email", pa.string()), ("n", pa.int32())]
    )
    pq.write_table(
        pa.table(
            {"couple_id": ["cpl_000001", "cpl_000002"], "email": ["a@x.io", "b@x.io"], "n": [1, 2]},
            schema=schema,
        ),
        path,
    )
    assert rewrite_export(path, PSEUDONYMS) == 1
    table = pq.read_table(path)
    assert table.schema == schema
    assert table.to_pydict() == {
        "couple_id": ["cpl_erased_00000000000000aa", "cpl_000002"],
        "email": [None, "b@x.io"],
        "n": [1, 2],
    }


def test_a_csv_export_without_the_couple_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "enquiries.csv"
    text = "enquiry_id,couple_id\nenq_0000001,cpl_000002\n"
    path.write_text(text)
    before = path.stat().st_mtime_ns
    assert rewrite_export(path, PSEUDONYMS) == 0
    assert path.read_text() == text
    assert path.stat().st_mtime_ns == before


def test_a_csv_export_gets_the_pseudonym_in_place_of_the_couple(tmp_path: Path) -> None:
    path = tmp_path / "enquiries.csv"
    path.write_text("enquiry_id,couple_id,email\nenq_0000001,cpl_000001,\nenq_2,cpl_000002,\n")
    assert rewrite_export(path, PSEUDONYMS) == 1
    assert path.read_text().splitlines() == [
        "enquiry_id,couple_id,email",
        "enq_0000001,cpl_erased_00000000000000aa,",
        "enq_2,cpl_000002,",
    ]
