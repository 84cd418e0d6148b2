"""A throwaway warehouse that receives its exports in two nights, for the pipeline faults.

The faults need a previous good build and a new build that would change the marts: the
simulated exports (without injected defects, so every dbt test passes) are loaded up to a
week before the end first ("last night"), the final week later ("tonight").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from tests.support import throwaway_database
from wedsync.exports import export_dates
from wedsync.simulator import SimulationConfig, simulate
from wedsync.simulator.config import DefectRates
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.ingest import load_exports
from wedsync.warehouse.schema import RAW_TABLES

AS_OF = dt.date(2025, 6, 1)
SCALE = 0.02
TONIGHT_DAYS = 7
CLEAN = DefectRates(**{rate.name: 0.0 for rate in fields(DefectRates)})


@dataclass(frozen=True)
class TwoNights:
    """The warehouse's URL and the export dates of each night."""

    database_url: str
    landing_dir: Path
    last_night: list[dt.date]
    tonight: list[dt.date]

    def load(self, dates: list[dt.date]) -> None:
        """Load every entity's exports of `dates`, as the ingestion assets do."""
        with connect(self.database_url) as conn:
            for entity in RAW_TABLES:
                load_exports(conn, entity, self.landing_dir, dates)


@contextmanager
def two_nights(landing_dir: Path, prefix: str) -> Iterator[TwoNights]:
    """Simulate; a fresh warehouse with last night's exports loaded (tonight's not yet)."""
    simulate(
        SimulationConfig(landing_dir=landing_dir, scale=SCALE, as_of=AS_OF, defect_rates=CLEAN)
    )
    dates = export_dates(landing_dir)
    with throwaway_database(prefix) as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
        nights = TwoNights(database_url, landing_dir, dates[:-TONIGHT_DAYS], dates[-TONIGHT_DAYS:])
        nights.load(nights.last_night)
        yield nights
