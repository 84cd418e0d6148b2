"""Simulations shared by the simulator's tests (each is generated once per test session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.simulator.landing import read_entity
from wedsync.simulator import SimulationConfig, SimulationSummary, simulate
from wedsync.warehouse.schema import RAW_TABLES

AS_OF = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def mid_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    """A mid-size Parquet run (~21,000 enquiries): large enough for calibration tolerances."""
    landing = tmp_path_factory.mktemp("mid_landing")
    return landing, simulate(SimulationConfig(landing_dir=landing, as_of=AS_OF, seed=7, scale=0.3))


@pytest.fixture(scope="session")
def mid_landing(mid_run: tuple[Path, SimulationSummary]) -> Path:
    return mid_run[0]


@pytest.fixture(scope="session")
def small_csv_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CSV run."""
    landing = tmp_path_factory.mktemp("csv_landing")
    simulate(
        SimulationConfig(landing_dir=landing, as_of=AS_OF, seed=3, scale=0.05, file_format="csv")
    )
    return landing


@pytest.fixture(scope="session")
def mid_exports(mid_landing: Path) -> dict[str, pd.DataFrame]:
    """Every entity of the mid-size run read back with `read_export`, once per session."""
    return {entity: read_entity(mid_landing, entity) for entity in RAW_TABLES}
