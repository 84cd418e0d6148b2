"""Reading a simulated landing zone back the way the pipeline does (`read_export`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wedsync.exports import export_dates, export_file, truth_dir
from wedsync.warehouse.loader import read_export


def read_entity(landing_dir: Path, entity: str) -> pd.DataFrame:
    """Every export of `entity`, as text, with the export date each row came from."""
    columns: list[str] = []
    rows: list[tuple[str | None, ...]] = []
    export_on: list[str] = []
    for export_date in export_dates(landing_dir):
        path = export_file(landing_dir, export_date, entity)
        if path is None:
            continue
        columns, file_rows = read_export(path)
        rows.extend(file_rows)
        export_on.extend([export_date.isoformat()] * len(file_rows))
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame["_export_date"] = export_on
    return frame


def read_truth(landing_dir: Path, name: str) -> pd.DataFrame:
    """One truth file (`defects` or `enquiry_outcomes`)."""
    return pd.read_parquet(truth_dir(landing_dir) / f"{name}.parquet")
