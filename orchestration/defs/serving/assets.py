"""`serving/api_cache_version`: publishes the marts just built and moves the API's cache to them.

The API reads `served.*`, which this asset fills from the build (`wedsync.warehouse.served`)
only when no served mart's latest build failed, and keys every cached answer by
`app.dataset_versions`; bumping the version in the publish's transaction makes the next
request compute from the new build, so dashboards see it at once, whole, and never an answer
from before it.
"""

import time

import dagster as dg

from orchestration.resources import WarehouseResource
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET
from wedsync.warehouse.served import SERVED_TABLES, publish_build

#: The tables the API serves under the `analytics` version (built by the dbt and ML domains),
#: published together by `api_cache_version`.
SERVED_MART_KEYS = tuple(dg.AssetKey([table.build_schema, table.name]) for table in SERVED_TABLES)


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
    """Publish the marts just built to `served` and bump the `analytics` dataset version.

    One transaction: the API sees the previous build or this one whole, the version's NOTIFY
    arrives with the commit that makes the new rows visible, and cached answers of the
    previous version become unreachable at once and expire from Redis.
    """
    started = time.perf_counter()
    with warehouse.connection() as conn:
        published, version = publish_build(conn)
    return dg.MaterializeResult(
        metadata={
            "dataset": ANALYTICS_DATASET,
            "dataset_version": dg.MetadataValue.int(version),
            "published": dg.MetadataValue.int(len(published)),
            "publish_seconds": dg.MetadataValue.float(round(time.perf_counter() - started, 3)),
        }
    )
