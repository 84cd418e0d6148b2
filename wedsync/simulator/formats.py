"""How values are written in the exports: everything as text, in one format per kind.

Timestamps are ISO 8601 UTC (`2026-05-01T12:00:00Z`), dates `YYYY-MM-DD`, money in pounds
with two decimals, and a missing value is a null (an empty CSV field).
"""

from __future__ import annotations

import numpy as np


def iso_timestamps(timestamps: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC strings (`2026-05-01T12:00:00Z`); NaT becomes None."""
    text = np.datetime_as_string(timestamps.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    text[np.isnat(timestamps)] = None
    return text


def iso_dates(days: np.ndarray) -> np.ndarray:
    """`YYYY-MM-DD` strings; NaT becomes None."""
    text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    text[np.isnat(days)] = None
    return text


def money(amounts: np.ndarray) -> np.ndarray:
    """Pounds with two decimals (`18000.00`); NaN becomes None."""
    values = np.asarray(amounts, dtype=np.float64)
    text = np.array([f"{value:.2f}" for value in values], dtype=object)
    text[np.isnan(values)] = None
    return text


def integers(values: np.ndarray) -> np.ndarray:
    """Whole numbers as text; NaN becomes None."""
    numbers = np.asarray(values, dtype=np.float64)
    text = np.array([f"{value:.0f}" for value in numbers], dtype=object)
    text[np.isnan(numbers)] = None
    return text
