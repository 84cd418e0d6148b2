"""`dbt build` through the Dagster dbt asset on simulated data, checked against the simulator.

One build per module (the Dagster asset, the real `DbtCliResource`, a throwaway warehouse);
every expected value is computed with pandas from the export files and the simulator's truth,
not from dbt's own tables.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import psycopg
import pytest

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.environment import dbt_profile_env
from orchestration.defs.dbt.project import wedsync_dbt_project
from orchestration.defs.dbt.resources import VENV_DBT, dbt_resource
from tests.integration.dbt.conftest import AS_OF, LoadedWarehouse
from wedsync.conversion import conversion_rate, wilson_interval
from wedsync.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

ALERT_WINDOW_DAYS = 14


#: dbt's `benchmark_min_suppliers`: a market figure needs at least this many suppliers.
MIN_MARKET_SUPPLIERS = 5


def _frame(database_url: str, query: str) -> pd.DataFrame:
    with psycopg.connect(database_url) as conn:
        cursor = conn.execute(query)
        columns = [column.name for column in cursor.description or []]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


@pytest.fixture(scope="module")
def build(loaded_warehouse: LoadedWarehouse) -> Iterator[dg.ExecuteInProcessResult]:
    """Materialize every dbt asset once, with the alerts computed as of the simulation date."""
    result = dg.materialize(
        [wedsync_dbt_models],
        resources={"dbt": dbt_resource(loaded_warehouse.database_url)},
        run_config={"ops": {"wedsync_dbt_models": {"config": {"as_of": AS_OF.isoformat()}}}},
        raise_on_error=False,
    )
    yield result


def test_every_model_materializes_and_every_dbt_test_passes(
    build: dg.ExecuteInProcessResult,
) -> None:
    assert build.success
    materialized = {
        event.materialization.asset_key.to_user_string()
        for event in build.get_asset_materialization_events()
    }
    assert {
        "staging/stg_enquiries",
        "marts/vendor_performance",
        "marts/seasonal_bookings",
        "marts/market_benchmarks",
        "marts/wedding_day_alerts",
        "marts/supplier_daily_activity",
        "features/ml_booking_features",
        "seeds/uk_bank_holidays",
    } <= materialized
    checks = build.get_asset_check_evaluations()
    assert len(checks) > 50
    blocking = [check for check in checks if check.severity == dg.AssetCheckSeverity.ERROR]
    assert [check.check_name for check in blocking if not check.passed] == []


def _materialization_metadata(build: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {
        event.materialization.asset_key.to_user_string(): event.materialization.metadata
        for event in build.get_asset_materialization_events()
    }


def test_tables_carry_row_counts_from_the_throwaway_warehouse(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    """dagster-dbt counts the rows of the build's own database, not the manifest's."""
    metadata = _materialization_metadata(build)
    assert metadata["seeds/uk_bank_holidays"]["dagster/row_count"] == dg.IntMetadataValue(135)
    # 2023-01-01 .. 2030-12-31 (dbt_project.yml's calendar).
    assert metadata["marts/dim_date"]["dagster/row_count"] == dg.IntMetadataValue(2922)
    revenue = _frame(loaded_warehouse.database_url, "select count(*) as n from marts.revenue")
    assert metadata["marts/revenue"]["dagster/row_count"] == dg.IntMetadataValue(
        int(revenue["n"].iloc[0])
    )
    counted = {key for key, values in metadata.items() if "dagster/row_count" in values}
    tables = {
        f"{schema}/{name}"
        for schema in ("marts", "features", "seeds")
        for name in _tables(loaded_warehouse.database_url, schema)
    }
    assert counted == tables  # every table and seed, none dropped
    assert "dagster/row_count" not in metadata["staging/stg_enquiries"]  # views are not counted


def test_marts_carry_their_built_columns_and_column_lineage(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    metadata = _materialization_metadata(build)["marts/vendor_performance"]
    # The types as the warehouse built them (`numeric(6,4)`; the yml writes `numeric(6, 4)`).
    built = _frame(
        loaded_warehouse.database_url,
        "select attname, format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = 'marts.vendor_performance'::regclass and attnum > 0 "
        "and not attisdropped order by attnum",
    )
    schema = metadata["dagster/column_schema"].value
    assert [(column.name, column.type) for column in schema.columns] == list(
        built.itertuples(index=False, name=None)
    )
    lineage = metadata["dagster/column_lineage"].value.deps_by_column
    assert lineage["vendor_type"] == [
        dg.TableColumnDep(
            asset_key=dg.AssetKey(["marts", "dim_suppliers"]), column_name="vendor_type"
        )
    ]
    assert lineage["month"] == [
        dg.TableColumnDep(
            asset_key=dg.AssetKey(["marts", "fct_enquiries"]), column_name="enquiry_month"
        )
    ]


def test_vendor_performance_counts_the_clean_enquiries_and_bookings(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    enquiries = loaded_warehouse.latest("enquiries")
    bookings = loaded_warehouse.latest("bookings")
    bookings = bookings[bookings["enquiry_id"].isin(enquiries["enquiry_id"])]
    expected = pd.DataFrame(
        {
            "enquiries": enquiries.groupby("supplier_id").size(),
            "bookings": bookings.groupby("supplier_id").size(),
            "cancellations": bookings[bookings["status"] == "cancelled"]
            .groupby("supplier_id")
            .size(),
        }
    ).fillna(0)
    actual = _frame(
        loaded_warehouse.database_url,
        "select supplier_id, sum(enquiries) as enquiries, sum(bookings) as bookings,"
        " sum(cancellations) as cancellations"
        " from marts.vendor_performance group by supplier_id",
    ).set_index("supplier_id")
    assert len(expected) > 5
    pd.testing.assert_frame_equal(
        actual.astype("int64").sort_index(),
        expected.astype("int64").sort_index(),
        check_names=False,
    )


def test_conversion_interval_brackets_the_rate(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    rows = _frame(
        loaded_warehouse.database_url,
        "select enquiries, bookings, conversion_rate, conversion_ci_low, conversion_ci_high"
        " from marts.vendor_performance",
    )
    exact = rows["bookings"] / rows["enquiries"]
    assert ((rows["conversion_rate"].astype(float) - exact).abs() <= 0.00005).all()
    assert (rows["conversion_ci_low"] <= rows["conversion_rate"]).all()
    assert (rows["conversion_rate"] <= rows["conversion_ci_high"]).all()
    # The macros and the API's Python (wedsync.conversion) give the same figures, row for row.
    marts = [
        (float(rate), float(low), float(high))
        for rate, low, high in rows[
            ["conversion_rate", "conversion_ci_low", "conversion_ci_high"]
        ].itertuples(index=False)
    ]
    python = [
        (conversion_rate(int(b), int(n)), *(wilson_interval(int(b), int(n)) or (None, None)))
        for b, n in zip(rows["bookings"], rows["enquiries"], strict=True)
    ]
    assert marts == python


def test_quarantined_and_invalid_rows_stay_out_of_the_marts(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    quarantined = loaded_warehouse.quarantined("enquiries")
    features = _frame(loaded_warehouse.database_url, "select * from features.ml_booking_features")
    assert quarantined
    assert not quarantined & set(features["enquiry_id"])
    assert len(features) == len(loaded_warehouse.latest("enquiries"))


def test_seasonal_bookings_totals_match_the_exports(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    suppliers = loaded_warehouse.latest("suppliers")[["supplier_id", "vendor_type", "region"]]
    enquiries = loaded_warehouse.latest("enquiries").merge(suppliers, on="supplier_id")
    # Every clean enquiry carries a real wedding date, so each lands in a wedding month; a
    # market (month x vendor type x region) is published only with at least 5 suppliers.
    enquiries["month"] = pd.to_datetime(enquiries["wedding_date"]).dt.to_period("M")
    markets = enquiries.groupby(["month", "vendor_type", "region"]).agg(
        enquiries=("enquiry_id", "size"), suppliers=("supplier_id", "nunique")
    )
    published = markets[markets["suppliers"] >= MIN_MARKET_SUPPLIERS]
    totals = _frame(
        loaded_warehouse.database_url,
        "select count(*) as markets, coalesce(sum(enquiries), 0) as enquiries "
        "from marts.seasonal_bookings",
    )
    assert int(totals["markets"].iloc[0]) == len(published)
    assert int(totals["enquiries"].iloc[0]) == int(published["enquiries"].sum())


def test_booking_outcome_matches_the_simulator_truth(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    features = _frame(
        loaded_warehouse.database_url,
        "select enquiry_id, outcome, booked from features.ml_booking_features",
    ).merge(loaded_warehouse.outcomes(), on="enquiry_id", suffixes=("", "_truth"))
    # A quarantined booking (booked after the wedding) is not evidence of a booking.
    bookings = loaded_warehouse.exported("bookings")
    quarantined = bookings[bookings["booking_id"].isin(loaded_warehouse.quarantined("bookings"))]
    features = features[~features["enquiry_id"].isin(quarantined["enquiry_id"])]
    labelled = features[features["outcome"] != "open"]
    assert (labelled["booked"] == labelled["booked_truth"].astype(int)).all()
    assert features.loc[features["outcome"] == "open", "booked"].isna().all()
    assert set(features["outcome"]) == {"booked", "lost", "open"}


def test_wedding_day_alerts_cover_the_fourteen_day_window(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    bookings = loaded_warehouse.latest("bookings")
    payments = loaded_warehouse.latest("payments")
    paid = (
        payments.assign(amount=payments["amount_gbp"].map(Decimal))
        .groupby("booking_id")["amount"]
        .sum()
    )
    wedding_dates = pd.to_datetime(bookings["wedding_date"]).dt.date
    in_window = bookings[
        (bookings["status"] == "confirmed")
        & (wedding_dates >= AS_OF)
        & (wedding_dates <= AS_OF + dt.timedelta(days=ALERT_WINDOW_DAYS))
    ]
    owed = in_window["total_value_gbp"].map(Decimal) - in_window["booking_id"].map(paid).fillna(
        Decimal(0)
    )
    alerts = _frame(loaded_warehouse.database_url, "select * from marts.wedding_day_alerts")
    assert set(in_window.loc[owed > 0, "booking_id"]) <= set(alerts["booking_id"])
    assert set(alerts["booking_id"]) <= set(in_window["booking_id"])
    assert alerts["days_left"].between(0, ALERT_WINDOW_DAYS).all()
    assert (alerts["as_of_date"] == AS_OF).all()


def test_benchmarks_are_published_only_for_five_or_more_suppliers(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    enquiries = loaded_warehouse.latest("enquiries")
    suppliers = loaded_warehouse.latest("suppliers")[["supplier_id", "vendor_type", "region"]]
    enquiries = enquiries.merge(suppliers, on="supplier_id")
    quarter = pd.to_datetime(enquiries["created_at"]).dt.tz_localize(None).dt.to_period("Q")
    contributors = (
        enquiries.assign(quarter=quarter.dt.start_time.dt.date)
        .groupby(["quarter", "vendor_type", "region"])["supplier_id"]
        .nunique()
    )
    benchmarks = _frame(
        loaded_warehouse.database_url,
        "select quarter, vendor_type, region, suppliers from marts.market_benchmarks",
    ).set_index(["quarter", "vendor_type", "region"])["suppliers"]
    assert set(benchmarks.index) == set(contributors[contributors >= 5].index)
    assert (benchmarks == contributors.reindex(benchmarks.index)).all()


def test_api_marts_are_indexed_on_their_access_paths(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse
) -> None:
    indexes = _frame(
        loaded_warehouse.database_url,
        "select tablename, indexdef from pg_indexes where schemaname = 'marts'",
    )
    definitions = indexes.groupby("tablename")["indexdef"].apply(" ".join)
    assert "(supplier_id, month)" in definitions["vendor_performance"]
    assert "(supplier_id, day)" in definitions["supplier_daily_activity"]
    assert "(supplier_id, month)" in definitions["lead_funnel"]
    assert "(supplier_id, wedding_date)" in definitions["wedding_day_alerts"]


def _tables(database_url: str, schema: str) -> dict[str, int]:
    """`table -> oid` in a schema: a table dbt rebuilt is a new relation with a new oid."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select c.relname, c.oid::bigint from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind in ('r', 'v')",
            (schema,),
        ).fetchall()
    return dict(rows)


def test_an_analysts_default_build_leaves_the_served_marts_untouched(
    build: dg.ExecuteInProcessResult, loaded_warehouse: LoadedWarehouse, tmp_path: Path
) -> None:
    """`dbt build -s seasonal_demand` in a fresh shell: dev target, deferred to production."""
    assert build.success
    url = loaded_warehouse.database_url
    served = _tables(url, "marts")
    env = {**os.environ, **dbt_profile_env(url), "WEDSYNC_ANALYST": "alice"}
    env.pop("WEDSYNC_DBT_TARGET", None)
    dbt = [VENV_DBT, "--quiet"]
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    prod_state = tmp_path / "prod"
    subprocess.run(
        [*dbt, "parse", *project, "--target", "prod", "--target-path", str(prod_state)],
        env=env,
        check=True,
    )
    # Into dbt's default target dir, as the analyst's command writes it.
    subprocess.run(
        [*dbt, "build", "-s", "seasonal_demand", *project, "--defer", "--state", str(prod_state)],
        env=env,
        check=True,
    )
    assert _tables(url, "marts") == served
    assert "seasonal_demand" in _tables(url, "dev_alice_marts")
    # Dagster's next start still builds production: the analyst's dev manifest is not its own.
    assert (DBT_PROJECT_DIR / "target" / "manifest.json").exists()
    manifest = json.loads(wedsync_dbt_project.manifest_path.read_text())
    assert manifest["nodes"]["model.wedsync.seasonal_demand"]["schema"] == "marts"
