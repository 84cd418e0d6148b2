"""Where the WedSync platform's nightly exports land, and how they are named.

The simulator writes them and the ingestion assets read them, so both take the layout from
here: `<landing>/exports/<YYYY-MM-DD>/<entity>.<parquet|csv>`, one folder per export date.
The simulator's truth files live apart, in `<landing>/_truth/`, which the pipeline never reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

#: First nightly export of the platform; the Dagster export-date partitions start here.
EXPORT_START_DATE = dt.date(2024, 1, 1)
EXPORT_FORMATS = ("parquet", "csv")


def export_dir(landing_dir: Path, export_date: dt.date) -> Path:
    """The folder holding one night's export files."""
    return landing_dir / "exports" / export_date.isoformat()


def export_file(landing_dir: Path, export_date: dt.date, entity: str) -> Path | None:
    """The export file of `entity` for `export_date`, in whichever format it was written."""
    for fmt in EXPORT_FORMATS:
        path = export_dir(landing_dir, export_date) / f"{entity}.{fmt}"
        if path.exists():
            return path
    return None


def export_dates(landing_dir: Path) -> list[dt.date]:
    """Every export date present in the landing dir, oldest first."""
    root = landing_dir / "exports"
    if not root.exists():
        return []
    return sorted(dt.date.fromisoformat(path.name) for path in root.iterdir() if path.is_dir())


def truth_dir(landing_dir: Path) -> Path:
    """The simulator's ground truth (true booking probabilities, injected defects)."""
    return landing_dir / "_truth"
