"""`wedsync simulate`: write the platform's nightly exports (or stream live events)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wedsync.settings import get_settings

DEFAULT_API_URL = "http://127.0.0.1:8000"


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
    live: Annotated[
        bool, typer.Option("--live", help="Stream live events to the API instead of exporting.")
    ] = False,
    rate: Annotated[float, typer.Option(min=0.1, help="Live: events per second.")] = 100.0,
    duration: Annotated[float, typer.Option(min=0.1, help="Live: seconds to stream for.")] = 10.0,
    api_url: Annotated[str, typer.Option(help="Live: the API's base URL.")] = DEFAULT_API_URL,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="WEDSYNC_API_KEY", help="Live: an API key allowed to send events."),
    ] = None,
) -> None:
    """Generate the WedSync platform's nightly exports and the truth file, deterministically.

    With --live, stream the marketplace's live events to POST /api/events instead.
    """
    if live:
        _stream_live(scale, seed, rate, duration, api_url, api_key)
        return
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


def _stream_live(
    scale: float, seed: int, rate: float, duration: float, api_url: str, api_key: str | None
) -> None:
    """Send live events with a progress bar, then print the API's counts."""
    import httpx
    from rich.progress import Progress

    from wedsync.simulator.live import LiveEventStream
    from wedsync.simulator.streaming import StreamError, api_client, stream_live_events

    if not api_key:
        raise typer.BadParameter("an API key is needed (--api-key or WEDSYNC_API_KEY)")
    stream = LiveEventStream(seed=seed, scale=scale, today=dt.datetime.now(dt.UTC).date())
    try:
        with api_client(api_url, api_key) as client, Progress() as progress:
            task = progress.add_task("sending events", total=round(rate * duration))
            report = stream_live_events(
                client, stream, rate, duration, on_batch=lambda n: progress.advance(task, n)
            )
    except (StreamError, httpx.HTTPError) as error:
        typer.echo(f"live stream to {api_url} failed: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(report)
    if report.rejection_reasons:
        typer.echo(f"first rejection reasons: {report.rejection_reasons[:3]}", err=True)
