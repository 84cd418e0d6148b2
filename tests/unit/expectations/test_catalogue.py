"""The catalogue is the one list of rules: complete, consistent and covering every defect."""

from expectations.catalogue import RULES, RULES_BY_ID, rules_for_table
from expectations.rule import Between
from wedsync.simulator import DEFECT_TYPES
from wedsync.warehouse.schema import RAW_TABLES

CHECKED_TABLES = {*RAW_TABLES, "events"}


def test_rule_ids_are_unique() -> None:
    assert len(RULES_BY_ID) == len(RULES)


def test_every_injected_defect_type_has_exactly_one_rule() -> None:
    covering = sorted(rule.defect_type for rule in RULES if rule.defect_type)
    assert covering == sorted(DEFECT_TYPES)


def test_rules_name_real_tables_and_keys() -> None:
    for rule in RULES:
        assert rule.table in CHECKED_TABLES, rule.rule_id
        assert set(rule.also_reads) <= CHECKED_TABLES, rule.rule_id
        assert rule.row_key in rule.query, rule.rule_id
        assert rule.expectation.column in rule.query, rule.rule_id


def test_reported_columns_are_raw_columns() -> None:
    for rule in RULES:
        if rule.table in RAW_TABLES:
            assert rule.column in RAW_TABLES[rule.table].columns, rule.rule_id


def test_walking_skeleton_rules_are_blocking_errors() -> None:
    skeleton = (
        "enquiry_wedding_date_is_calendar_date",
        "enquiry_guest_count_in_range",
        "enquiry_budget_in_range",
        "enquiry_guest_count_within_venue_capacity",
        "booking_not_after_wedding",
    )
    for rule_id in skeleton:
        assert RULES_BY_ID[rule_id].severity == "error"
        assert RULES_BY_ID[rule_id].blocking


def test_warn_rules_catch_no_injected_defect_and_never_block() -> None:
    warn_rules = [rule for rule in RULES if rule.severity == "warn"]
    assert {rule.rule_id for rule in warn_rules} >= {
        "enquiry_guest_count_large_wedding",
        "enquiry_budget_above_year_p99",
        "supplier_daily_event_volume",
    }
    assert all(rule.defect_type is None and not rule.blocking for rule in warn_rules)


def test_thresholds_show_limits_and_tolerance() -> None:
    guests = RULES_BY_ID["enquiry_guest_count_in_range"]
    assert guests.expectation == Between("guests", 1, 600)
    assert guests.thresholds == {"min_value": 1, "max_value": 600, "max_unexpected_pct": 5.0}
    large = RULES_BY_ID["enquiry_guest_count_large_wedding"]
    assert large.thresholds == {"max_value": 300}


def test_rules_for_table_keeps_catalogue_order() -> None:
    bookings = rules_for_table("bookings")
    assert bookings and all(rule.table == "bookings" for rule in bookings)
    assert list(bookings) == [rule for rule in RULES if rule.table == "bookings"]
