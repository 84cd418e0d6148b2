"""Choosing which clean rows and nights to damage, and recording the damage as truth.

A row is damaged at most once, never a row the simulator already made defective, and only in
the trial window (the recent nights a trial looks at). A night given to a file-level kind is
reserved: no row-level kind picks rows from it, so each kind is scored on its own damage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wedsync.messy_exports.history import EXPORT_DATE, ExportHistory
from wedsync.warehouse.schema import RAW_TABLES

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Export timestamps (`2026-05-01T12:00:00Z`) as naive UTC datetimes; malformed -> NaT."""
    return pd.to_datetime(values, format=TIMESTAMP_FORMAT, errors="coerce")


def format_timestamps(values: pd.Series) -> pd.Series:
    """Naive UTC datetimes back to the export's timestamp text."""
    return values.dt.strftime(TIMESTAMP_FORMAT)


@dataclass
class Picker:
    """The random source, the history being damaged, and the truth being written."""

    rng: np.random.Generator
    history: ExportHistory
    injected: set[tuple[str, str]]
    window_start: dt.date
    taken: set[tuple[str, str]] = field(default_factory=set)
    reserved: set[tuple[str, dt.date]] = field(default_factory=set)
    truth: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def last_night(self) -> dt.date:
        """The newest export night."""
        return self.history.dates[-1]

    def nights(self) -> set[dt.date]:
        """Every export night of the history."""
        return set(self.history.dates)

    def candidates(self, table: str, mask: pd.Series | None = None) -> pd.Index:
        """Index labels of `table`'s rows that may still be damaged (and satisfy `mask`)."""
        frame = self.history.frames[table]
        key = RAW_TABLES[table].key
        free = ~pd.Series(
            [(table, k) in self.injected or (table, k) in self.taken for k in frame[key]],
            index=frame.index,
        )
        free &= frame[EXPORT_DATE] >= self.window_start
        free &= ~pd.Series(
            [(table, d) in self.reserved for d in frame[EXPORT_DATE]], index=frame.index
        )
        if mask is not None:
            free &= mask.fillna(False).astype(bool)
        return frame.index[free.to_numpy()]

    def pick(self, table: str, count: int, mask: pd.Series | None = None) -> pd.Index:
        """Up to `count` random free rows of `table`; their keys become taken."""
        candidates = self.candidates(table, mask)
        chosen = self.rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
        labels = candidates[np.sort(chosen)]
        key = RAW_TABLES[table].key
        self.taken.update((table, k) for k in self.history.frames[table].loc[labels, key])
        return labels

    def pick_night(self, table: str, *, next_night_too: bool = False) -> dt.date:
        """A busy unreserved night of `table` in the window (reserved from now on)."""
        frame = self.history.frames[table]
        counts = frame.loc[frame[EXPORT_DATE] >= self.window_start, EXPORT_DATE].value_counts()
        busy = [
            night
            for night, rows in counts.items()
            if rows >= counts.median()
            and (table, night) not in self.reserved
            and (not next_night_too or (night + dt.timedelta(days=1)) in self.nights())
            and (table, night + dt.timedelta(days=1)) not in self.reserved
        ]
        night = sorted(busy)[int(self.rng.integers(len(busy)))]
        self.reserved.add((table, night))
        if next_night_too:
            self.reserved.add((table, night + dt.timedelta(days=1)))
        return night

    def next_ids(self, table: str, prefix: str, count: int) -> list[str]:
        """`count` fresh ids after the highest in `table` (the platform numbers rows in order)."""
        key = self.history.frames[table][RAW_TABLES[table].key]
        numbers = key.str.removeprefix(prefix).str.extract(r"^(\d+)$")[0].dropna().astype(int)
        width = int(key.str.len().max()) - len(prefix)
        start = int(numbers.max()) + 1 if len(numbers) else 1
        return [f"{prefix}{n:0{width}d}" for n in range(start, start + count)]

    def append(self, table: str, rows: pd.DataFrame) -> None:
        """Add new rows to `table` (their nights are rewritten)."""
        frame = self.history.frames[table]
        self.history.frames[table] = pd.concat([frame, rows[frame.columns]], ignore_index=True)
        self.history.touch(table, rows[EXPORT_DATE])
        key = RAW_TABLES[table].key
        self.taken.update((table, k) for k in rows[key])

    def record(
        self,
        kind: str,
        table: str,
        keys: object,
        detail: object = None,
        export_date: dt.date | None = None,
    ) -> None:
        """Write truth rows: `keys` (an iterable, or None for a file) of `table` carry `kind`."""
        key_list = [None] if keys is None else list(keys)  # type: ignore[call-overload]
        details = (
            list(detail)  # type: ignore[call-overload]
            if isinstance(detail, list | pd.Series | np.ndarray)
            else [detail] * len(key_list)
        )
        for key, text in zip(key_list, details, strict=True):
            self.truth.append(
                {
                    "kind": kind,
                    "table_name": table,
                    "row_key": None if key is None else str(key),
                    "export_date": None if export_date is None else export_date.isoformat(),
                    "detail": None if text is None else str(text),
                }
            )
