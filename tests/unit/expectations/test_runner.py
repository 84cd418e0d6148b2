"""Turning GX results into rule outcomes: measurements, verdicts and pipeline errors."""

from dataclasses import replace

from great_expectations.core import ExpectationValidationResult

from expectations.catalogue import RULES_BY_ID
from expectations.runner import Offender, RuleOutcome, outcome_from_result

GUESTS = RULES_BY_ID["enquiry_guest_count_in_range"]
LARGE_WEDDING = RULES_BY_ID["enquiry_guest_count_large_wedding"]


def _result(**details: object) -> ExpectationValidationResult:
    return ExpectationValidationResult(success=False, result=details)


def test_offending_rows_carry_key_and_raw_value_once() -> None:
    result = _result(
        element_count=200,
        unexpected_count=3,
        unexpected_index_list=[
            {"enquiry_id": "enq_1", "guest_count": "-4", "guests": -4},
            {"enquiry_id": "enq_2", "guest_count": "5000", "guests": 5000},
            {"enquiry_id": "enq_1", "guest_count": "-4", "guests": -4},
        ],
    )
    outcome = outcome_from_result(GUESTS, result)
    assert outcome.error is None
    assert outcome.offenders == (Offender("enq_1", "-4"), Offender("enq_2", "5000"))
    assert outcome.unexpected_pct == 1.5
    assert outcome.verdict == "tolerated"


def test_gx_exception_is_a_pipeline_error_not_dirty_data() -> None:
    result = ExpectationValidationResult(
        success=False,
        result={},
        exception_info={
            "metric_id_1": {
                "raised_exception": True,
                "exception_message": 'The column "guests" in BatchData does not exist.',
                "exception_traceback": "...",
            }
        },
    )
    outcome = outcome_from_result(GUESTS, result)
    assert outcome.verdict == "pipeline_error"
    assert outcome.error is not None and '"guests"' in outcome.error
    assert outcome.offenders == () and not outcome.passed


def test_missing_element_count_is_a_pipeline_error() -> None:
    outcome = outcome_from_result(GUESTS, _result())
    assert outcome.verdict == "pipeline_error"


def test_verdict_follows_tolerance_for_error_rules_only() -> None:
    assert RuleOutcome(GUESTS, element_count=100).verdict == "passed"
    assert RuleOutcome(GUESTS, element_count=100, unexpected_count=5).verdict == "tolerated"
    assert RuleOutcome(GUESTS, element_count=100, unexpected_count=6).verdict == "blocking"
    assert RuleOutcome(LARGE_WEDDING, element_count=100, unexpected_count=90).verdict == (
        "tolerated"
    )
    strict = replace(GUESTS, max_unexpected_pct=0.0)
    assert RuleOutcome(strict, element_count=1000, unexpected_count=1).verdict == "blocking"


def test_empty_table_passes_with_zero_share() -> None:
    outcome = RuleOutcome(GUESTS)
    assert outcome.passed and outcome.unexpected_pct == 0.0


def test_counted_but_unnamed_offenders_are_an_error_so_quarantine_is_kept() -> None:
    outcome = outcome_from_result(GUESTS, _result(element_count=50, unexpected_count=4))
    assert outcome.verdict == "pipeline_error"
    assert outcome.error is not None and "named none" in outcome.error
