"""Retention and erasure of stored personal data: expired events and exports, erased couples.

Each asset appends what it removed to the audit log (`app.audit_log`, append-only), and shows
the same figures as materialization metadata.
"""

import datetime as dt

import dagster as dg

from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.retention.resources import RetentionPolicyResource
from orchestration.resources import WarehouseResource
from wedsync.landing_erasure import erase_from_landing
from wedsync.retention import expire_landing_exports, expire_raw_events

#: How Dagster runs appear in the audit log.
AUDIT_ACTOR = "dagster:retention"

RAW_EVENTS_RETENTION_KEY = dg.AssetKey(["retention", "raw_events"])
LANDING_RETENTION_KEY = dg.AssetKey(["retention", "landing_exports"])
LANDING_ERASURES_KEY = dg.AssetKey(["retention", "landing_erasures"])


@dg.asset(
    key=RAW_EVENTS_RETENTION_KEY,
    group_name="retention",
    kinds={"postgres"},
    owners=["team:data-engineering"],
    tags={"wedsync/layer": "raw"},
)
def raw_events_retention(
    warehouse: WarehouseResource, retention: RetentionPolicyResource
) -> dg.MaterializeResult:
    """Drop the months of raw.events older than the retention age, and older ids and dead letters.

    Where pg_partman manages the months this is its maintenance run (`partman.run_maintenance`,
    retention set to the age, which also makes the months ahead); elsewhere our own drop.
    Audited as `retention.raw_events`, with which of the two ran.
    """
    cutoff = retention.raw_event_cutoff(dt.datetime.now(dt.UTC).date())
    with warehouse.connection() as conn:
        expired = expire_raw_events(conn, cutoff, AUDIT_ACTOR)
    return dg.MaterializeResult(
        metadata={
            "cutoff": dg.MetadataValue.text(cutoff.isoformat()),
            "partitions_dropped": dg.MetadataValue.int(len(expired.partitions)),
            "event_ids_deleted": dg.MetadataValue.int(expired.event_ids),
            "dead_letters_deleted": dg.MetadataValue.int(expired.dead_letters),
            "managed_by": dg.MetadataValue.text(expired.managed_by),
            "default_rows_moved": dg.MetadataValue.int(expired.default_rows_moved),
        }
    )


@dg.asset(
    key=LANDING_RETENTION_KEY,
    group_name="retention",
    kinds={"parquet"},
    owners=["team:data-engineering"],
)
def landing_exports_retention(
    warehouse: WarehouseResource,
    landing_zone: LandingZoneResource,
    retention: RetentionPolicyResource,
) -> dg.MaterializeResult:
    """Delete the landing dir's export folders older than the retention age.

    Audited as `retention.landing_exports`. An export date older than that can no longer be
    backfilled; its rows stay in raw.* as loaded.
    """
    cutoff = retention.landing_cutoff(dt.datetime.now(dt.UTC).date())
    with warehouse.connection() as conn:
        expired = expire_landing_exports(conn, landing_zone.path, cutoff, AUDIT_ACTOR)
    return dg.MaterializeResult(
        metadata={
            "cutoff": dg.MetadataValue.text(cutoff.isoformat()),
            "export_dates_deleted": dg.MetadataValue.int(len(expired)),
        }
    )


@dg.asset(
    key=LANDING_ERASURES_KEY,
    group_name="retention",
    kinds={"parquet"},
    owners=["team:data-engineering"],
)
def landing_erasures(
    warehouse: WarehouseResource, landing_zone: LandingZoneResource
) -> dg.MaterializeResult:
    """Rewrite the export files that still name couples erased through the API.

    Until this runs, the loader erases those couples again in every export it loads; after it,
    the files no longer name them and the erasure queue forgets them. Audited as
    `retention.landing_erasures`.
    """
    with warehouse.connection() as conn:
        done = erase_from_landing(conn, landing_zone.path, AUDIT_ACTOR)
    return dg.MaterializeResult(
        metadata={
            "couples_erased": dg.MetadataValue.int(done.couples),
            "files_rewritten": dg.MetadataValue.int(done.files),
            "rows_rewritten": dg.MetadataValue.int(done.rows),
        }
    )
