"""The regions' climate normals as one fair-weather index per region and month.

The simulator reads the same Met Office normals the dbt seed `uk_climate_normals` loads into
the warehouse, so the weather a couple plans around is the weather a model can see.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal

CLIMATE_NORMALS = Path(__file__).resolve().parents[2] / "dbt_project/seeds/uk_climate_normals.csv"
#: The index's zero and scale: a mild, moderately wet month scores 0; +1 is about 5 degC warmer
#: or 4 fewer rain days.
_TEMP_CENTRE_C, _TEMP_SCALE_C = 10.0, 5.0
_RAIN_CENTRE_DAYS, _RAIN_SCALE_DAYS = 11.0, 4.0


@cache
def fair_weather_table() -> np.ndarray:
    """Fair-weather index, shape (regions in `cal.REGIONS` order, 12 months)."""
    normals = pd.read_csv(CLIMATE_NORMALS)
    index = (normals["mean_temp_c"] - _TEMP_CENTRE_C) / _TEMP_SCALE_C - (
        normals["rain_days"] - _RAIN_CENTRE_DAYS
    ) / _RAIN_SCALE_DAYS
    table = np.zeros((len(cal.REGIONS), 12))
    region_row = {region: row for row, region in enumerate(cal.REGIONS)}
    for region, month, value in zip(normals["region"], normals["month"], index, strict=True):
        table[region_row[region], int(month) - 1] = value
    return table


def fair_weather(regions: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The fair-weather index of each (region name, month 1..12) pair."""
    region_row = {region: row for row, region in enumerate(cal.REGIONS)}
    rows = np.array([region_row[region] for region in regions], dtype=np.int64)
    return fair_weather_table()[rows, np.asarray(months, dtype=np.int64) - 1]
