"""Scoring the messy-export trial: recall per kind and table, precision over everything a rule
flagged, false alarms over clean rows, loader refusals per file, and no credit for chance."""

import datetime as dt

import pandas as pd

from expectations.messy_trial import LOADER, TrialResult, render_trial, score_trial
from wedsync.messy_exports import KINDS_BY_NAME

NIGHT = dt.date(2026, 9, 1)


def _truth(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "table_name", "row_key", "export_date"]).assign(
        detail=None
    )


TRUTH = _truth(
    [
        ("budget_as_text", "enquiries", "enq_1", None),
        ("budget_as_text", "enquiries", "enq_2", None),
        ("late_export", "enquiries", "enq_3", None),
        ("renamed_column", "payments", None, NIGHT.isoformat()),
        ("truncated_file", "payments", None, (NIGHT + dt.timedelta(days=1)).isoformat()),
    ]
)
CLEAN = {"enquiries": {f"enq_c{n}" for n in range(100)}, "payments": set()}


def _by(detections, kind: str) -> dict[str, object]:
    return {d.detector: d for d in detections if d.kind == kind}


def test_recall_precision_and_false_alarms_of_a_rule() -> None:
    flagged = {
        "enquiry_budget_is_amount": {
            ("enquiries", "enq_1"),
            ("enquiries", "enq_2"),
            ("enquiries", "enq_c1"),
        },
        "enquiry_exported_on_its_day": {("enquiries", "enq_3"), ("enquiries", "enq_9")},
    }
    detections = score_trial(TRUTH, {("enquiries", "enq_9")}, flagged, {}, CLEAN, 40)
    text = _by(detections, "budget_as_text")["enquiry_budget_is_amount"]
    assert (text.caught, text.total, text.false_alarms, text.clean) == (2, 2, 1, 100)
    assert text.recall == 1.0 and text.precision == 2 / 3
    late = _by(detections, "late_export")["enquiry_exported_on_its_day"]
    assert late.precision == 1.0  # enq_9 is a defect the simulator injected, not a false alarm


def test_loader_refusals_are_scored_per_file() -> None:
    refused = {("payments", NIGHT): "ValueError: columns ['amount'] are not in raw.payments"}
    detections = score_trial(TRUTH, set(), {}, refused, CLEAN, 40)
    renamed = _by(detections, "renamed_column")[LOADER]
    assert (renamed.caught, renamed.total, renamed.clean, renamed.precision) == (1, 1, 40, 1.0)
    assert _by(detections, "truncated_file")[""].caught == 0


def test_a_rule_flagging_everything_a_little_is_no_catch() -> None:
    tail = {("enquiries", f"enq_c{n}") for n in range(10)} | {("enquiries", "enq_1")}
    detections = score_trial(TRUTH, set(), {"enquiry_budget_above_year_p99": tail}, {}, CLEAN, 40)
    assert set(_by(detections, "budget_as_text")) == {""}


def test_render_names_the_detector_or_the_reason() -> None:
    detections = score_trial(
        TRUTH, set(), {"enquiry_budget_is_amount": {("enquiries", "enq_1")}}, {}, CLEAN, 40
    )
    result = TrialResult(TRUTH, {}, {}, CLEAN, 40, {}, detections)
    lines = "\n".join(render_trial(result))
    assert "enquiry_budget_is_amount" in lines and "50.0% (1/2)" in lines
    cut = KINDS_BY_NAME["export_cut_between_rows"]
    assert f"not detectable by rule, because {cut.limits}" in lines
