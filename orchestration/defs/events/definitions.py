"""Definitions of the live-events domain."""

import dagster as dg

from orchestration.defs.events.assets import raw_events
from orchestration.defs.events.sensors import event_models_job, new_events_sensor
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """The raw/events asset, the event-models job and the sensor that runs it."""
    return dg.Definitions(
        assets=[raw_events],
        jobs=[event_models_job],
        sensors=[new_events_sensor],
        resources={"warehouse": warehouse_resource()},
    )
