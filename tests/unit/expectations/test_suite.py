"""Catalogue rules as GX expectations and result formats."""

import great_expectations.expectations as gxe

from expectations.catalogue import RULES, RULES_BY_ID
from expectations.suite import gx_expectation, result_format, suite_name


def test_each_rule_maps_to_the_matching_gx_expectation() -> None:
    guests = gx_expectation(RULES_BY_ID["enquiry_guest_count_in_range"])
    assert isinstance(guests, gxe.ExpectColumnValuesToBeBetween)
    assert (guests.column, guests.min_value, guests.max_value) == ("guests", 1, 600)
    assert guests.meta == {
        "rule_id": "enquiry_guest_count_in_range",
        "defect_type": ("guest_count_out_of_range"),
    }
    pattern = gx_expectation(RULES_BY_ID["enquiry_budget_is_amount"])
    assert isinstance(pattern, gxe.ExpectColumnValuesToMatchRegex)
    date = gx_expectation(RULES_BY_ID["enquiry_wedding_date_is_calendar_date"])
    assert isinstance(date, gxe.ExpectColumnValuesToNotBeNull)
    assert date.column == "wedding_day"


def test_every_rule_builds_an_expectation_with_its_severity() -> None:
    for rule in RULES:
        expectation = gx_expectation(rule)
        assert expectation.description == rule.description
        assert expectation.severity == ("critical" if rule.severity == "error" else "warning")


def test_result_format_asks_for_every_offending_key_and_value() -> None:
    fmt = result_format(RULES_BY_ID["enquiry_guest_count_in_range"])
    assert fmt["result_format"] == "COMPLETE"
    assert fmt["unexpected_index_column_names"] == ["enquiry_id", "guest_count"]
    duplicate_events = result_format(RULES_BY_ID["event_id_not_duplicated"])
    assert duplicate_events["unexpected_index_column_names"] == ["event_id"]


def test_suite_names_group_rules_by_raw_table() -> None:
    assert suite_name(RULES_BY_ID["booking_not_after_wedding"]) == (
        "raw.bookings.booking_not_after_wedding"
    )
