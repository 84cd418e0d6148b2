"""When assets materialize by themselves: one timezone, one night, one automation sensor.

The platform's night starts at midnight in the UK, where the weddings (and the suppliers who
read the dashboards) are; every cron, partition and schedule of the deployment says
`Europe/London`, so British Summer Time moves all of them together.

A nightly asset waits, after midnight, until every one of its dependencies has been updated
since midnight and every blocking check on them has passed: the marts therefore build after
the night's exports have landed and loaded (`raw/*`, requested by the landing sensor) and
never on a night whose export broke an error rule. This holds across runs, unlike a blocking
check, which only stops the rest of its own run.
"""

from __future__ import annotations

import dagster as dg

#: The one timezone of every cron and partition of the deployment.
WEDDING_TIMEZONE = "Europe/London"

#: The night starts at midnight, UK time; a nightly asset builds once per night after it.
NIGHT_STARTS = "0 0 * * *"

#: Dependencies a nightly asset does not wait for: live events arrive all day (the events
#: sensor builds their marts), and the quarantine is written by the checks, never materialized.
NOT_NIGHTLY_DEPS = dg.AssetSelection.assets(
    dg.AssetKey(["raw", "events"]), dg.AssetKey(["quality", "quarantine"])
)

NIGHTLY = (
    (
        dg.AutomationCondition.on_cron(NIGHT_STARTS, WEDDING_TIMEZONE)
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
    )
    .ignore(NOT_NIGHTLY_DEPS)
    .with_label("nightly, after tonight's exports and their checks")
)
"""Once a night, after every dependency updated since midnight and its blocking checks passed."""


def with_its_asset(asset_key: dg.AssetKey) -> dg.AutomationCondition:
    """A check's condition: requested in the same evaluation as its asset (never alone)."""
    return (
        dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested())
        .allow(dg.AssetSelection.assets(asset_key))
        .with_label("with its asset")
    )


def with_nightly_default(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec`, on the nightly condition unless it already has its own (events, cache version)."""
    if spec.automation_condition is not None:
        return spec
    return spec.replace_attributes(automation_condition=NIGHTLY)


# Dagster's default automation sensor starts stopped; this one runs from the first deploy, so
# the nightly build and the cache version move without anyone switching anything on.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "wedsync_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Evaluates every asset's automation condition: the nightly build after the exports "
        "land and pass their blocking checks; the API cache version after a served mart moves."
    ),
)
