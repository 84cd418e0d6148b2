"""How the dbt project appears in Dagster: keys, groups, source mapping, checks, tags."""

import dagster as dg

from orchestration.automation import NIGHTLY
from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.definitions import defs

MODEL_KEYS = {key.to_user_string() for key in wedsync_dbt_models.keys}


def test_models_are_keyed_by_schema_and_name() -> None:
    assert {
        "staging/stg_enquiries",
        "staging/stg_events",
        "intermediate/int_enquiry_bookings",
        "marts/vendor_performance",
        "marts/seasonal_bookings",
        "marts/supplier_daily_activity",
        "marts/lead_funnel",
        "marts/market_benchmarks",
        "marts/wedding_day_alerts",
        "features/ml_booking_features",
        "seeds/uk_bank_holidays",
    } <= MODEL_KEYS


def test_dbt_assets_are_grouped_by_their_folder() -> None:
    groups = wedsync_dbt_models.group_names_by_key
    assert groups[dg.AssetKey(["marts", "fct_bookings"])] == "marts_core"
    assert groups[dg.AssetKey(["marts", "seasonal_demand"])] == "marts"
    assert groups[dg.AssetKey(["staging", "stg_enquiries"])] == "staging"
    assert groups[dg.AssetKey(["seeds", "uk_bank_holidays"])] == "seeds"


def test_every_dbt_model_builds_nightly_behind_its_blocking_checks() -> None:
    labels = {
        spec.automation_condition.get_label() if spec.automation_condition else None
        for spec in wedsync_dbt_models.specs
    }
    assert labels == {NIGHTLY.get_label()}


def test_sources_map_onto_the_ingestion_and_quality_assets() -> None:
    deps = {
        dep.to_user_string()
        for key in wedsync_dbt_models.keys
        for dep in wedsync_dbt_models.asset_deps[key]
    }
    raw = {f"raw/{entity}" for entity in ("suppliers", "couples", "enquiries", "bookings")}
    assert raw | {"raw/payments", "raw/reviews", "raw/events", "quality/quarantine"} <= deps


def test_dbt_tests_become_asset_checks() -> None:
    checks = {
        (check.asset_key.to_user_string(), check.name) for check in wedsync_dbt_models.check_specs
    }
    assert ("staging/stg_enquiries", "unique_stg_enquiries_enquiry_id") in checks
    assert len(checks) > 50


def test_the_event_marts_carry_the_events_tag() -> None:
    tagged = {
        spec.key.to_user_string() for spec in wedsync_dbt_models.specs if "events" in spec.tags
    }
    assert tagged == {"marts/supplier_daily_activity", "marts/lead_funnel"}


def test_the_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs())
