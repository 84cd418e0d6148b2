"""Definitions of the quality domain: rule checks, Data Docs, the quarantine, the GX resource."""

import dagster as dg

from orchestration.defs.quality.assets import data_docs, quarantine
from orchestration.defs.quality.checks import rule_checks
from orchestration.defs.quality.jobs import live_event_checks_job
from orchestration.defs.quality.resources import great_expectations_resource
from orchestration.defs.quality.schedules import live_event_checks_schedule


def defs() -> dg.Definitions:
    """The quality domain's assets, asset checks, live-events job and schedule, and resources.

    The checks on the nightly exports run in the export run itself (the ingestion job selects
    its assets, and with them their checks); `quality/data_docs` runs with the analytics job.
    """
    return dg.Definitions(
        assets=[*dg.with_source_code_references([data_docs]), quarantine],
        asset_checks=rule_checks,
        jobs=[live_event_checks_job],
        schedules=[live_event_checks_schedule],
        resources={"great_expectations": great_expectations_resource()},
    )
