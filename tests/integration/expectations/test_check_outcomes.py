"""Blocking, tolerance, quarantine sync and pipeline errors, on small hand-made exports."""

import csv
import datetime as dt
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from expectations.catalogue import RULES_BY_ID
from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.partitions import export_date_partitions
from orchestration.defs.quality.checks import build_rule_check
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import WarehouseResource
from tests.integration.expectations.conftest import quality_resources
from wedsync.exports import export_dir, mark_exports_complete
from wedsync.warehouse import connect
from wedsync.warehouse.schema import RAW_TABLES

pytestmark = pytest.mark.integration

EXPORT_DATE = dt.date(2025, 3, 1)
GUEST_RANGE = RULES_BY_ID["enquiry_guest_count_in_range"]
RAW_ENQUIRIES = next(a for a in export_assets if a.key == dg.AssetKey(["raw", "enquiries"]))


@dg.asset(
    key=dg.AssetKey(["staging", "stg_enquiries_probe"]),
    deps=[RAW_ENQUIRIES.key],
    partitions_def=export_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def downstream_of_enquiries() -> None:
    """Stands in for the staging model built from raw.enquiries in the same run (with the
    export assets' backfill policy, so one run can hold both)."""


def write_enquiries(landing: Path, guest_counts: list[str]) -> None:
    """One night's enquiries export: a clean enquiry per guest count given."""
    folder = export_dir(landing, EXPORT_DATE)
    folder.mkdir(parents=True, exist_ok=True)
    columns = RAW_TABLES["enquiries"].columns
    with (folder / "enquiries.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for n, guests in enumerate(guest_counts, start=1):
            writer.writerow(
                {
                    "enquiry_id": f"enq_{n:07d}",
                    "supplier_id": "sup_000001",
                    "couple_id": f"cpl_{n:06d}",
                    "created_at": "2025-03-01T09:30:00Z",
                    "wedding_date": "2026-06-13",
                    "guest_count": guests,
                    "budget_gbp": "16000.00",
                    "channel": "search",
                    "first_response_at": "2025-03-01T12:00:00Z",
                }
            )
    mark_exports_complete(landing)


def run_enquiry_checks(
    landing: Path, url: str, docs: Path, checks: list[dg.AssetChecksDefinition]
) -> dg.ExecuteInProcessResult:
    """Load the export and run `checks` and the downstream probe in one run."""
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize(
            [RAW_ENQUIRIES, downstream_of_enquiries, *checks],
            instance=instance,
            resources=quality_resources(url, landing, docs),
            partition_key=EXPORT_DATE.isoformat(),
            raise_on_error=False,
        )


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def quarantined(url: str, rule_id: str) -> list[tuple[str, str]]:
    with connect(url) as conn:
        return conn.execute(
            "select row_key, value from quality.quarantine where rule_id = %s order by 1",
            (rule_id,),
        ).fetchall()


def test_a_broken_export_blocks_downstream_but_is_quarantined(
    tmp_path: Path, warehouse_url: str
) -> None:
    write_enquiries(tmp_path, ["-4"] * 8 + ["80", "120"])
    result = run_enquiry_checks(
        tmp_path, warehouse_url, tmp_path / "docs", [build_rule_check(GUEST_RANGE)]
    )
    assert not result.success
    assert downstream_of_enquiries.key not in materialized_keys(result)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["unexpected_pct"].value == 80.0
    assert quarantined(warehouse_url, GUEST_RANGE.rule_id) == [
        (f"enq_{n:07d}", "-4") for n in range(1, 9)
    ]


def test_a_few_bad_rows_warn_are_quarantined_and_the_batch_flows_on(
    tmp_path: Path, warehouse_url: str
) -> None:
    write_enquiries(tmp_path, ["5000"] + ["80"] * 39)
    result = run_enquiry_checks(
        tmp_path, warehouse_url, tmp_path / "docs", [build_rule_check(GUEST_RANGE)]
    )
    assert result.success
    assert downstream_of_enquiries.key in materialized_keys(result)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert quarantined(warehouse_url, GUEST_RANGE.rule_id) == [("enq_0000001", "5000")]


def test_a_fixed_row_leaves_quarantine_and_history_grows(
    tmp_path: Path, warehouse_url: str
) -> None:
    write_enquiries(tmp_path, ["5000", "0"] + ["80"] * 38)
    run_enquiry_checks(tmp_path, warehouse_url, tmp_path / "docs", [build_rule_check(GUEST_RANGE)])
    assert [key for key, _ in quarantined(warehouse_url, GUEST_RANGE.rule_id)] == [
        "enq_0000001",
        "enq_0000002",
    ]
    with connect(warehouse_url) as conn:
        conn.execute("update raw.enquiries set guest_count = '90' where enquiry_id = 'enq_0000001'")
        conn.commit()
    great_expectations = GreatExpectationsResource(
        warehouse=WarehouseResource(database_url=warehouse_url), data_docs_dir=str(tmp_path)
    )
    outcome = great_expectations.evaluate_and_record(GUEST_RANGE)
    assert outcome.verdict == "tolerated"
    assert quarantined(warehouse_url, GUEST_RANGE.rule_id) == [("enq_0000002", "0")]
    with connect(warehouse_url) as conn:
        history = conn.execute(
            "select unexpected_count, success from quality.check_results"
            " where rule_id = %s order by id",
            (GUEST_RANGE.rule_id,),
        ).fetchall()
        raw_rows = conn.execute("select count(*) from raw.enquiries").fetchone()
    assert history == [(2, False), (1, False)]
    assert raw_rows == (40,)


def test_a_gx_failure_is_a_pipeline_error_never_dirty_data(
    tmp_path: Path, warehouse_url: str
) -> None:
    broken = replace(
        GUEST_RANGE,
        rule_id="enquiry_guest_count_without_parsed_column",
        query="select enquiry_id, guest_count from raw.enquiries",
    )
    with connect(warehouse_url) as conn:
        conn.execute(
            "insert into quality.quarantine (rule_id, table_name, row_key, severity)"
            " values (%s, 'enquiries', 'enq_0000009', 'error')",
            (broken.rule_id,),
        )
        conn.commit()
    write_enquiries(tmp_path, ["-4"] * 10)
    result = run_enquiry_checks(
        tmp_path, warehouse_url, tmp_path / "docs", [build_rule_check(broken)]
    )
    assert not result.success
    assert result.get_asset_check_evaluations() == []
    failures = [event for event in result.all_events if event.is_step_failure]
    assert failures and "could not run" in str(failures[0].step_failure_data.error)
    with connect(warehouse_url) as conn:
        history = conn.execute(
            "select success, unexpected_count, error from quality.check_results where rule_id = %s",
            (broken.rule_id,),
        ).fetchall()
    [(success, unexpected, error)] = history
    assert not success and unexpected == 0
    assert error is not None and "guests" in error
    assert quarantined(warehouse_url, broken.rule_id) == [("enq_0000009", None)]
