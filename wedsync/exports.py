"""Where the WedSync platform's nightly exports land, and how they are named.

The simulator writes them and the ingestion assets read them, so both take the layout from
here: `<landing>/exports/<YYYY-MM-DD>/<entity>.<parquet|csv>`, one folder per export date.
A night's export is complete once its `_SUCCESS` marker exists: the writer puts it there after
every file of the night, so a reader never loads a night that is still being written.
The simulator's truth files live apart, in `<landing>/_truth/`, which the pipeline never reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

#: First nightly export of the platform; the Dagster export-date partitions start here.
EXPORT_START_DATE = dt.date(2024, 1, 1)
EXPORT_FORMATS = ("parquet", "csv")
#: Written into a night's folder after all of its files: the export of that date is complete.
EXPORT_COMPLETE_MARKER = "_SUCCESS"


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


def export_marker(landing_dir: Path, export_date: dt.date) -> Path:
    """The `_SUCCESS` marker saying the export of `export_date` is complete."""
    return export_dir(landing_dir, export_date) / EXPORT_COMPLETE_MARKER


def mark_exports_complete(landing_dir: Path) -> int:
    """Mark every night from the first export date to the last complete; return how many.

    A night with nothing to export (no folder) still completed: its folder gets the marker
    alone, so a reader can tell a quiet night from an export that never arrived.
    """
    dates = export_dates(landing_dir)
    if not dates:
        return 0
    nights = [dates[0] + dt.timedelta(days=n) for n in range((dates[-1] - dates[0]).days + 1)]
    for night in nights:
        export_dir(landing_dir, night).mkdir(parents=True, exist_ok=True)
        export_marker(landing_dir, night).touch()
    return len(nights)


def truth_dir(landing_dir: Path) -> Path:
    """The simulator's ground truth (true booking probabilities, injected defects)."""
    return landing_dir / "_truth"
