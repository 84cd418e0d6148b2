"""A simulated data set loaded into a throwaway warehouse, with the quality quarantine filled
from the simulator's defect list (what the quality checks would quarantine), and the expected
values computed from the simulator's export files with pandas, independently of dbt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.support import throwaway_database
from wedsync.exports import export_dates, export_file, truth_dir
from wedsync.simulator import SimulationConfig, simulate
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.ingest import load_exports
from wedsync.warehouse.schema import RAW_TABLES

AS_OF = dt.date(2025, 6, 1)
SCALE = 0.03


@dataclass(frozen=True)
class LoadedWarehouse:
    """A warehouse holding the simulated exports, and the simulator's files to check against."""

    database_url: str
    landing_dir: Path

    def exported(self, entity: str) -> pd.DataFrame:
        """Every exported row of `entity`, latest export per key last, as text."""
        frames = []
        for export_date in export_dates(self.landing_dir):
            path = export_file(self.landing_dir, export_date, entity)
            if path is not None:
                frames.append(pd.read_parquet(path).assign(_export_date=export_date))
        return pd.concat(frames, ignore_index=True)

    def latest(self, entity: str) -> pd.DataFrame:
        """One row per key of `entity`: its latest export, without quarantined keys."""
        key = RAW_TABLES[entity].key
        rows = self.exported(entity).drop_duplicates(subset=key, keep="last")
        return rows[~rows[key].isin(self.quarantined(entity))]

    def quarantined(self, entity: str) -> set[str]:
        """Keys of `entity` the quarantine excludes."""
        defects = self.defects()
        return set(defects.loc[defects["table_name"] == entity, "row_key"])

    def defects(self) -> pd.DataFrame:
        """The simulator's list of injected defects."""
        return pd.read_parquet(truth_dir(self.landing_dir) / "defects.parquet")

    def outcomes(self) -> pd.DataFrame:
        """The simulator's eventual booking outcome per enquiry."""
        return pd.read_parquet(truth_dir(self.landing_dir) / "enquiry_outcomes.parquet")


def _quarantine_defects(database_url: str, defects: pd.DataFrame) -> None:
    """Put every injected defect in quality.quarantine with severity 'error'."""
    with (
        connect(database_url) as conn,
        conn.cursor().copy(
            "copy quality.quarantine (rule_id, table_name, row_key, column_name, value, severity) "
            "from stdin"
        ) as copy,
    ):
        for defect in defects.itertuples(index=False):
            copy.write_row(
                (defect.defect_type, defect.table_name, defect.row_key, None, None, "error")
            )


@pytest.fixture(scope="package")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedWarehouse]:
    """Simulate, load every export with the ingestion loader, quarantine the defects."""
    landing = tmp_path_factory.mktemp("dbt_landing")
    simulate(SimulationConfig(landing_dir=landing, seed=11, scale=SCALE, as_of=AS_OF))
    with throwaway_database("wedsync_dbt") as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
            for entity in RAW_TABLES:
                load_exports(conn, entity, landing, export_dates(landing))
        warehouse = LoadedWarehouse(database_url, landing)
        _quarantine_defects(database_url, warehouse.defects())
        yield warehouse
