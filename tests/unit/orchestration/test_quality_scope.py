"""A check's verdict on the nights a run loaded: one broken night breaks its own tolerance."""

import datetime as dt

from expectations.catalogue import RULES
from expectations.runner import Offender, RuleOutcome
from orchestration.defs.quality.scope import can_scope, export_dates_of_run, scoped_outcome

ENQUIRY_RULE = next(r for r in RULES if r.table == "enquiries" and r.severity == "error")


def test_a_broken_night_diluted_across_history_blocks_when_scoped_to_its_partition() -> None:
    night = {f"enq_{n}" for n in range(100)}
    offenders = tuple(Offender(f"enq_{n}", "-4") for n in range(30))  # 30% of the night
    history = RuleOutcome(
        ENQUIRY_RULE, element_count=10_000, unexpected_count=30, offenders=offenders
    )
    assert history.verdict == "tolerated"  # 0.3% of three years
    scoped = scoped_outcome(history, night)
    assert (scoped.element_count, scoped.unexpected_count) == (100, 30)
    assert scoped.verdict == "blocking"


def test_offenders_of_other_nights_do_not_count_and_errors_pass_through() -> None:
    outcome = RuleOutcome(
        ENQUIRY_RULE, element_count=3, unexpected_count=1, offenders=(Offender("old", "x"),)
    )
    assert scoped_outcome(outcome, {"new"}).passed
    broken = RuleOutcome(ENQUIRY_RULE, error="boom")
    assert scoped_outcome(broken, {"new"}) is broken


def test_the_nights_come_from_the_run_partition_tags() -> None:
    day = dt.date(2026, 3, 29)
    assert export_dates_of_run({"dagster/partition": "2026-03-29"}) == (day, day)
    assert export_dates_of_run(
        {
            "dagster/asset_partition_range_start": "2026-03-01",
            "dagster/asset_partition_range_end": "2026-03-29",
        }
    ) == (dt.date(2026, 3, 1), day)
    assert export_dates_of_run({}) is None


def test_rules_over_derived_rows_judge_the_whole_table() -> None:
    assert can_scope(ENQUIRY_RULE)
    assert not any(can_scope(rule) for rule in RULES if rule.table == "events")
