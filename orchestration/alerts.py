"""Alerts on failed runs: a structured log line, a row in `quality.pipeline_alerts`, a webhook.

A run that fails at night (a missing or broken export, a dbt test, a model that would not
promote) must reach a person by morning: the row is what the platform team's API key and
dashboards read, the log line is what `dagster-daemon` output shows, and the webhook (when
`WEDSYNC_ALERT_WEBHOOK_URL` is set) is what pages someone. A webhook that does not answer is
logged and never fails the sensor: the row is already stored.

A run that `deploy/dagster.yaml`'s run retries will re-execute is not alerted on: a broken
night fails each of its three attempts the same way, and one night is one alert, raised by
its last attempt.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from functools import cache

import dagster as dg
import httpx

from orchestration.resources import WarehouseResource, warehouse_resource

WEBHOOK_ENV = "WEDSYNC_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 5.0

#: The tag Dagster sets on a failed run ("true"/"false") when run retries are enabled.
WILL_RETRY_TAG = "dagster/will_retry"

_RECORD_ALERT = """
insert into quality.pipeline_alerts (run_id, job_name, partition, failed_steps, message)
values (%(run_id)s, %(job_name)s, %(partition)s, %(failed_steps)s, %(message)s)
on conflict (run_id) do nothing
"""


@dataclass(frozen=True)
class PipelineAlert:
    """What a person needs to act on a failed run: which job, which night, which steps, why."""

    run_id: str
    job_name: str
    partition: str | None
    message: str
    failed_steps: list[str] = field(default_factory=list)


class AlertsResource(dg.ConfigurableResource):
    """Where alerts go: the warehouse's alert table, and a webhook when one is configured."""

    warehouse: WarehouseResource
    webhook_url: str = ""

    def raise_alert(self, alert: PipelineAlert, log: logging.Logger) -> None:
        """Log, store and (when configured) post one alert; a run alerts once."""
        log.error(f"pipeline alert: {json.dumps(asdict(alert))}")
        with self.warehouse.connection() as conn:
            conn.execute(_RECORD_ALERT, asdict(alert))
        if self.webhook_url:
            try:
                httpx.post(self.webhook_url, json=asdict(alert), timeout=WEBHOOK_TIMEOUT_SECONDS)
            except httpx.HTTPError as error:
                log.warning(f"alert webhook {self.webhook_url} failed: {error}")


@cache
def alerts_resource() -> AlertsResource:
    """Alerts into the configured warehouse, and to `WEDSYNC_ALERT_WEBHOOK_URL` when set."""
    return AlertsResource(
        warehouse=warehouse_resource(), webhook_url=os.environ.get(WEBHOOK_ENV, "")
    )


def alert_for(context: dg.RunFailureSensorContext) -> PipelineAlert:
    """The alert of one failed run, from its tags and failed steps."""
    run = context.dagster_run
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    return PipelineAlert(
        run_id=run.run_id,
        job_name=run.job_name,
        partition=run.tags.get("dagster/partition"),
        message=context.failure_event.message or "run failed",
        failed_steps=failed_steps,
    )


@dg.run_failure_sensor(
    name="pipeline_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Every failed run: a log line, a quality.pipeline_alerts row, a webhook.",
)
def pipeline_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    """Raise the alert of the run that just failed, unless a retry of it is coming."""
    run = context.dagster_run
    if run.tags.get(WILL_RETRY_TAG) == "true":
        context.log.info(f"run {run.run_id} failed and will be retried: no alert yet")
        return
    alerts.raise_alert(alert_for(context), context.log)
