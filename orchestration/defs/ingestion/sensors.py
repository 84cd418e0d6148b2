"""The landing sensor: a night's export is loaded when it has landed, not when a clock ticks.

The platform writes a night's files, then its `_SUCCESS` marker. Every evaluation lists the
landing dir and requests the partition of each complete night that has not been loaded,
oldest first, whatever order the nights arrived in; a run key made of the date and the
marker's time loads a night once, and again only if the platform re-delivers it.

A night missing between two complete ones (the platform skipped it) is requested too, under
its own run key: its run fails naming the date, so the gap is a red partition and a failed run
(and an alert), not a silent hole. When the late export lands, its marker gives a new run key
and the night loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import dagster as dg

from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.partitions import export_date_partitions
from orchestration.defs.ingestion.resources import LandingZoneResource
from wedsync.exports import export_dates, export_marker

#: The asset whose materialized partitions say which nights are loaded (all six load together).
LOADED_MARKER_ASSET = dg.AssetKey(["raw", "enquiries"])

#: Runs requested per evaluation: a deployment far behind catches up over a few minutes
#: instead of queueing a thousand runs at once (`make build` loads history in one backfill).
MAX_REQUESTS_PER_TICK = 31


@dataclass(frozen=True)
class NightToLoad:
    """One export date the sensor asks to load, and why."""

    export_date: dt.date
    run_key: str
    landed: bool


def nights_to_load(
    landed: Mapping[dt.date, int],
    loaded: Collection[dt.date],
    valid: Collection[dt.date],
    limit: int = MAX_REQUESTS_PER_TICK,
) -> list[NightToLoad]:
    """The nights to request: landed but not loaded, and gaps between landed nights.

    `landed` maps each complete night to its marker's mtime (ns); `valid` are the dates the
    partitions define (a night dated in the future or before the first export is ignored).
    """
    if not landed:
        return []
    first, last = min(landed), max(landed)
    nights = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    requests = [
        NightToLoad(night, f"{night}@{landed[night]}", True)
        if night in landed
        else NightToLoad(night, f"{night}@missing", False)
        for night in nights
        if night in valid and night not in loaded
    ]
    return requests[:limit]


def landed_nights(landing: LandingZoneResource, dates: Iterable[dt.date]) -> dict[dt.date, int]:
    """Complete nights in the landing dir and their `_SUCCESS` marker's mtime."""
    markers = {day: export_marker(landing.path, day) for day in dates}
    return {day: marker.stat().st_mtime_ns for day, marker in markers.items() if marker.exists()}


@dg.sensor(
    job=nightly_exports_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Loads each night's export once its _SUCCESS marker has landed (late and out-of-order "
        "nights included); a night missing between landed ones is requested and fails, visibly."
    ),
)
def export_landed_sensor(
    context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource
) -> dg.SensorResult | dg.SkipReason:
    """Request the partition of every complete, unloaded night (and of every gap)."""
    valid = {
        dt.date.fromisoformat(key)
        for key in export_date_partitions.get_partition_keys(dynamic_partitions_store=None)
    }
    loaded = {
        dt.date.fromisoformat(key)
        for key in context.instance.get_materialized_partitions(LOADED_MARKER_ASSET)
    }
    nights = nights_to_load(
        landed_nights(landing_zone, export_dates(landing_zone.path)), loaded, valid
    )
    if not nights:
        return dg.SkipReason("every landed export is loaded")
    gaps = [night.export_date.isoformat() for night in nights if not night.landed]
    if gaps:
        context.log.warning(f"exports missing between landed nights: {', '.join(gaps)}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                partition_key=night.export_date.isoformat(),
                run_key=night.run_key,
                # A night that has not landed fails the same way on a retry: alert at once.
                tags={"wedsync/export": "landed"}
                if night.landed
                else {"wedsync/export": "missing", "dagster/max_retries": "0"},
            )
            for night in nights
        ]
    )
