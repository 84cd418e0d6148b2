"""`serving/api_cache_version`: moves the API's cache to the newly built marts.

The API keys every cached answer by `app.dataset_versions`; bumping the version after the
marts are rebuilt makes the next request compute from the new marts, so dashboards see a new
build at once and never an answer from before it.
"""

import dagster as dg

from orchestration.resources import WarehouseResource
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, bump_dataset_version

#: The tables the API serves under the `analytics` version (built by the dbt and ML domains).
SERVED_MART_KEYS = (
    dg.AssetKey(["marts", "vendor_performance"]),
    dg.AssetKey(["marts", "seasonal_bookings"]),
    dg.AssetKey(["marts", "supplier_daily_activity"]),
    dg.AssetKey(["marts", "lead_funnel"]),
    dg.AssetKey(["marts", "market_gaps"]),
    dg.AssetKey(["marts", "supplier_capacity"]),
    dg.AssetKey(["marts", "couple_journey"]),
    dg.AssetKey(["marts", "vendor_network"]),
    dg.AssetKey(["predictions", "booking_probability"]),
    dg.AssetKey(["predictions", "pipeline_value"]),
    dg.AssetKey(["predictions", "demand_forecast"]),
    dg.AssetKey(["predictions", "price_advice"]),
    dg.AssetKey(["predictions", "couple_budget"]),
    dg.AssetKey(["predictions", "review_score"]),
)

# The API creates this procedure (serving/security/tenancy.py); tables created since it last
# ran (the first predictions of a new model, say) get their tenant policy and grants before
# they are served.
_REAPPLY_ROW_LEVEL_SECURITY = """
do $rls$
begin
    if to_regprocedure('app.apply_row_level_security()') is not null then
        call app.apply_row_level_security();
    end if;
end
$rls$
"""


# After any served mart is rebuilt - the nightly build, or the event marts every few seconds -
# and unlike `eager()` also while some of them have never been built (the event marts start
# empty), so that live events reach the API within the 60 s freshness target. Never while a
# served mart's latest build failed: the marts that did rebuild in that run would otherwise
# reach the cache beside the failed one's previous build; the version moves once it succeeds
# (its run retried, or fixed and rebuilt).
MOVE_AFTER_ANY_SERVED_MART = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
    & ~dg.AutomationCondition.any_deps_match(dg.AutomationCondition.execution_failed())
).with_label("after a served mart is rebuilt, none failing")


@dg.asset(
    key=dg.AssetKey(["serving", "api_cache_version"]),
    group_name="serving",
    deps=list(SERVED_MART_KEYS),
    kinds={"postgres", "redis"},
    owners=["team:data-engineering"],
    automation_condition=MOVE_AFTER_ANY_SERVED_MART,
)
def api_cache_version(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Bump the `analytics` dataset version so the API serves the marts just built.

    Cached answers of the previous version become unreachable at once and expire from Redis.
    """
    with warehouse.connection() as conn:
        conn.execute(_REAPPLY_ROW_LEVEL_SECURITY)
        version = bump_dataset_version(conn, ANALYTICS_DATASET)
    return dg.MaterializeResult(
        metadata={"dataset": ANALYTICS_DATASET, "dataset_version": dg.MetadataValue.int(version)}
    )
