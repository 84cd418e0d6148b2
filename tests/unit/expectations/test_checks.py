"""The Dagster face of the rules: one blocking check per error rule, actionable metadata."""

import dagster as dg

from expectations.catalogue import RULES, RULES_BY_ID
from expectations.runner import Offender, RuleOutcome
from orchestration.defs.quality.checks import (
    check_metadata,
    check_severity,
    offenders_markdown,
    rule_checks,
)
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import WarehouseResource

GUESTS = RULES_BY_ID["enquiry_guest_count_in_range"]


def test_one_check_per_rule_on_its_raw_asset_blocking_for_errors() -> None:
    specs = {spec.name: spec for checks in rule_checks for spec in checks.check_specs}
    assert set(specs) == {rule.rule_id for rule in RULES}
    for rule in RULES:
        spec = specs[rule.rule_id]
        assert spec.asset_key == dg.AssetKey(["raw", rule.table])
        assert spec.blocking == (rule.severity == "error")


def test_cross_table_rules_wait_for_the_tables_they_read() -> None:
    capacity = next(
        checks
        for checks in rule_checks
        if checks.check_keys
        and next(iter(checks.check_keys)).name == ("enquiry_guest_count_within_venue_capacity")
    )
    spec = next(iter(capacity.check_specs))
    assert dg.AssetKey(["raw", "suppliers"]) in {dep.asset_key for dep in spec.additional_deps}


def test_severity_is_error_only_beyond_tolerance() -> None:
    few = RuleOutcome(GUESTS, element_count=1000, unexpected_count=10)
    most = RuleOutcome(GUESTS, element_count=1000, unexpected_count=900)
    assert check_severity(few) == dg.AssetCheckSeverity.WARN
    assert check_severity(most) == dg.AssetCheckSeverity.ERROR


def test_metadata_counts_sample_thresholds_and_docs_link() -> None:
    outcome = RuleOutcome(
        GUESTS,
        element_count=400,
        unexpected_count=2,
        offenders=(Offender("enq_1", "-4"), Offender("enq_2", "5000")),
    )
    metadata = check_metadata(outcome, "http://127.0.0.1:8010/index.html")
    assert metadata["element_count"].value == 400
    assert metadata["unexpected_count"].value == 2
    assert metadata["unexpected_pct"].value == 0.5
    assert metadata["quarantined_rows"].value == 2
    assert metadata["thresholds"].value["max_value"] == 600
    assert metadata["data_docs"].value == "http://127.0.0.1:8010/index.html"
    assert "| enq_2 | 5000 |" in metadata["offending_rows"].value


def test_sample_is_truncated_with_a_count_of_the_rest() -> None:
    offenders = tuple(Offender(f"enq_{n}", "0") for n in range(25))
    outcome = RuleOutcome(GUESTS, element_count=100, unexpected_count=25, offenders=offenders)
    table = offenders_markdown(outcome, limit=20)
    assert "| enq_19 | 0 |" in table and "enq_20 " not in table
    assert "5 more" in table


def test_data_docs_are_linked_over_http_when_a_site_serves_them() -> None:
    warehouse = WarehouseResource(database_url="postgresql://postgres@127.0.0.1/wedsync")
    served = GreatExpectationsResource(
        warehouse=warehouse, data_docs_dir="/srv/docs", data_docs_base_url="http://docs:8010"
    )
    unserved = GreatExpectationsResource(warehouse=warehouse, data_docs_dir="/srv/docs")
    assert served.data_docs_link == "http://docs:8010/index.html"
    assert unserved.data_docs_link == "file:///srv/docs/index.html"
