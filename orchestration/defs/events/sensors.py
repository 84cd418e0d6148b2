"""The events sensor: new rows in raw.events trigger the incremental event-driven dbt models.

At most one events run exists at a time: while one is queued or in progress the sensor
skips and keeps its cursor, so the events that arrived meanwhile go into the next run. Under
continuous traffic that is one run per (run time + 10 s), never a queue of runs piling up
behind the nightly build; in a quiet hour it is none. Its runs execute in one process: under
the default multiprocess executor each of the run's two steps (the dbt models, the cache
version) started a process of its own and imported the code location again, every run.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.alerts import WILL_RETRY_TAG
from orchestration.defs.events.assets import EVENT_MODEL_KEYS, RAW_EVENTS_KEY
from orchestration.resources import WarehouseResource

EVENTS_JOB = "event_models"

#: Statuses of a run that has not finished: while one exists, another would only queue.
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]

event_models_job = dg.define_asset_job(
    name=EVENTS_JOB,
    selection=dg.AssetSelection.assets(*EVENT_MODEL_KEYS),
    executor_def=dg.in_process_executor,
    description=(
        "Incremental dbt models fed by live events (supplier daily activity, funnel), then "
        "the API cache version."
    ),
)


def newest_event(warehouse: WarehouseResource) -> dt.datetime | None:
    """When the newest event landed in `raw.events` (None before the first). Served by the
    per-partition index on `received_at`: cheap however many events there are."""
    with warehouse.connection() as conn:
        row = conn.execute("select max(received_at) from raw.events").fetchone()
    return None if row is None else row[0]


#: The tag the run-retry daemon sets on the retry it launches (naming the failed run).
PARENT_RUN_TAG = "dagster/parent_run_id"


def events_run_unfinished(instance: dg.DagsterInstance) -> bool:
    """Whether an events run is queued, in progress, or failed and about to be retried.

    A failed run that `run_retries` will retry is not finished: its retry is launched a daemon
    tick later, and a new run started meanwhile would build the same models beside it. Once the
    retry exists it is counted by its own status; the failed run keeps its tag forever, so only
    the newest failed run without a retry of its own counts.
    """
    if instance.get_runs_count(dg.RunsFilter(job_name=EVENTS_JOB, statuses=UNFINISHED)) > 0:
        return True
    awaiting = instance.get_runs(
        dg.RunsFilter(
            job_name=EVENTS_JOB,
            statuses=[dg.DagsterRunStatus.FAILURE],
            tags={WILL_RETRY_TAG: "true"},
        ),
        limit=1,
    )
    return bool(awaiting) and not instance.get_runs_count(
        dg.RunsFilter(tags={PARENT_RUN_TAG: awaiting[0].run_id})
    )


@dg.sensor(
    job=event_models_job,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every 10 s: when events arrived since the last run and no events run is queued or in "
        "progress, record a materialization of raw/events and run the event-driven dbt models "
        "(an event shows in the API within 60 s)."
    ),
)
def new_events_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    """Compare the newest `received_at` with the cursor; request a run when it moved."""
    newest = newest_event(warehouse)
    if newest is None or newest.isoformat() == context.cursor:
        return dg.SkipReason("no new events since the last run")
    if events_run_unfinished(context.instance):
        # The cursor stays: the next evaluation after that run finishes picks these events up.
        return dg.SkipReason("an events run is queued or in progress; new events wait for it")
    return dg.SensorResult(
        # The selection is named, not left to the job: it is what tells the automation sensor
        # that this run moved the cache version itself, so the marts' update by this run does
        # not request another cache-version run (it did, when the automation sensor evaluated
        # between the run's marts and its cache version).
        run_requests=[
            dg.RunRequest(run_key=newest.isoformat(), asset_selection=list(EVENT_MODEL_KEYS))
        ],
        asset_events=[
            dg.AssetMaterialization(
                asset_key=RAW_EVENTS_KEY,
                metadata={"newest_received_at": newest.isoformat()},
            )
        ],
        cursor=newest.isoformat(),
    )
