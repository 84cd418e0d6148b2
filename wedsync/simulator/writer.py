"""Writing the landing zone: one file per entity and export date, and the truth files.

Each entity arrives as one frame sorted by export date, turned once into an Arrow table and
sliced per date (a slice is zero-copy), which keeps ~1,000 dates x 6 entities to seconds.
The new landing zone is written beside the old one and swapped in at the end, so a reader
never sees a half-written simulation and a failed run leaves the previous one intact.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wedsync.exports import export_dir, truth_dir
from wedsync.simulator.tables import EXPORT_DATE
from wedsync.warehouse.schema import RAW_TABLES

_SWAPPED = ("exports", "_truth")


def _as_text_table(frame: pd.DataFrame, columns: tuple[str, ...]) -> pa.Table:
    schema = pa.schema([(name, pa.string()) for name in columns])
    return pa.Table.from_pandas(frame.loc[:, list(columns)], schema=schema, preserve_index=False)


def _write_table(table: pa.Table, path: Path, file_format: str) -> None:
    # No pandas metadata in the file: the same rows must give byte-identical files.
    table = table.replace_schema_metadata(None)
    if file_format == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def write_entity(root: Path, entity: str, frame: pd.DataFrame, file_format: str) -> int:
    """Write one entity's rows (sorted by export date) as one file per export date.

    Returns how many files were written.
    """
    if frame.empty:
        return 0
    dates = frame[EXPORT_DATE].to_numpy().astype("datetime64[D]")
    table = _as_text_table(frame, RAW_TABLES[entity].columns)
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    ends = np.r_[starts[1:], len(dates)]
    for start, end in zip(starts, ends, strict=True):
        export_date = dt.date.fromisoformat(str(dates[start]))
        folder = export_dir(root, export_date)
        folder.mkdir(parents=True, exist_ok=True)
        _write_table(
            table.slice(start, end - start), folder / f"{entity}.{file_format}", file_format
        )
    return len(starts)


def write_truth(
    root: Path,
    outcomes: pd.DataFrame,
    defects: pd.DataFrame,
    manifest: dict[str, Any],
    suppliers: pd.DataFrame,
) -> None:
    """`enquiry_outcomes.parquet`, `defects.parquet`, `supplier_market.parquet` and
    `manifest.json` under `_truth/` (docs/internals.md, "Truth")."""
    folder = truth_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    outcome_schema = pa.schema(
        [
            ("enquiry_id", pa.string()),
            ("true_probability", pa.float64()),
            ("booked", pa.bool_()),
            ("booked_at", pa.timestamp("s", tz="UTC")),
            # Probabilities are floats; what the market did (`wished`, `date_full`) is bool.
            *(
                (name, pa.bool_() if outcomes[name].dtype == bool else pa.float64())
                for name in outcomes.columns[4:]
            ),
        ]
    )
    supplier_schema = pa.schema(
        [
            ("supplier_id", pa.string()),
            ("price_response", pa.float64()),
            ("quality", pa.float64()),
            ("weddings_per_date", pa.int64()),
        ]
    )
    defect_schema = pa.schema(
        [
            (name, pa.string())
            for name in ("defect_type", "table_name", "row_key", "column_name", "value")
        ]
    )
    for frame, schema, name in (
        (outcomes, outcome_schema, "enquiry_outcomes.parquet"),
        (defects, defect_schema, "defects.parquet"),
        (suppliers, supplier_schema, "supplier_market.parquet"),
    ):
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        pq.write_table(table.replace_schema_metadata(None), folder / name)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def write_referral_truth(root: Path, pairs: pd.DataFrame, referrals: pd.DataFrame) -> None:
    """`referral_pairs.parquet` (each supplier's true partners) and `referrals.parquet` (each
    referred enquiry and the booking it became) under `_truth/` (simulator/referrals.py)."""
    folder = truth_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    for frame, name in ((pairs, "referral_pairs.parquet"), (referrals, "referrals.parquet")):
        schema = pa.schema([(column, pa.string()) for column in frame.columns])
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        pq.write_table(table.replace_schema_metadata(None), folder / name)


def staging_dir(landing_dir: Path) -> Path:
    """Where a run writes before it is swapped in (emptied first)."""
    staging = landing_dir / ".simulating"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def swap_in(landing_dir: Path, staging: Path) -> None:
    """Replace the landing zone's exports and truth with the freshly written ones."""
    for name in _SWAPPED:
        target, retired = landing_dir / name, landing_dir / f".{name}.retired"
        if retired.exists():
            shutil.rmtree(retired)
        if target.exists():
            target.rename(retired)
        (staging / name).rename(target)
        if retired.exists():
            shutil.rmtree(retired)
    staging.rmdir()
