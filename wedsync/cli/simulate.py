"""`wedsync simulate`: write the platform's nightly exports (or stream live events)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wedsync.settings import get_settings


class ExportFormat(StrEnum):
    """File format of the nightly exports."""

    parquet = "parquet"
    csv = "csv"


def simulate(
    scale: Annotated[
        float, typer.Option(min=0.001, help="Size: 1.0 is the demo data set (~600 suppliers).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The simulated 'today' (default: today, UTC)."),
    ] = None,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="Export file format.")
    ] = ExportFormat.parquet,
    landing_dir: Annotated[
        Path | None, typer.Option(help="Where to write (default: WEDSYNC_LANDING_DIR).")
    ] = None,
) -> None:
    """Generate the WedSync platform's nightly exports and the truth file, deterministically."""
    from wedsync.simulator import SimulationConfig
    from wedsync.simulator import simulate as run_simulation

    config = SimulationConfig(
        landing_dir=landing_dir or get_settings().landing_dir,
        seed=seed,
        scale=scale,
        as_of=(as_of.date() if as_of else dt.datetime.now(dt.UTC).date()),
        file_format=export_format.value,
    )
    summary = run_simulation(config)
    typer.echo(summary)
