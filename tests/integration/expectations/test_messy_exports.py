"""The rules and the loader on messy exports they were not written for: each kind is caught by
the rule meant for it (or refused by the loader), or documented as not detectable by rule, and
every rule's false alarms on the clean rows around them are measured and small."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from expectations.messy_trial import LOADER, TrialResult, render_trial, run_messy_trial
from tests.integration.expectations.conftest import schema_database
from wedsync.exports import export_dates
from wedsync.messy_exports import KINDS, KINDS_BY_NAME
from wedsync.warehouse import RAW_TABLES, connect
from wedsync.warehouse.ingest import load_exports

pytestmark = pytest.mark.integration

#: Per kind, the detectors meant for it and the recall each must reach on this data set.
#: Partial recalls are the kind's documented limits (`MessyKind.limits`), not slack.
MEANT_FOR: dict[str, dict[str, float]] = {
    "near_duplicate_shifted_date": {"enquiry_near_duplicate": 1.0},
    "near_duplicate_retyped_names": {"enquiry_near_duplicate": 0.5},
    "budget_in_pence": {"enquiry_budget_in_range": 0.9},
    "budget_as_text": {"enquiry_budget_is_amount": 1.0},
    "day_month_swap": {
        "enquiry_wedding_date_is_calendar_date": 0.3,
        "enquiry_wedding_date_matches_couple": 0.1,
    },
    "utc_bst_boundary_shift": {
        "enquiry_created_at_is_utc_timestamp": 0.2,
        "enquiry_exported_on_its_day": 0.2,
    },
    "new_enum_value": {"enquiry_channel_is_known": 1.0},
    "test_account": {"couple_not_test_account": 1.0, "enquiry_not_from_test_account": 1.0},
    "bot_account": {"enquiry_not_in_burst": 1.0},
    "payment_above_booking_value": {"payment_within_booking_value": 1.0},
    "deposit_above_total": {"booking_deposit_within_total": 1.0},
    "late_export": {"enquiry_exported_on_its_day": 1.0},
    "out_of_order_export": {"booking_cancellation_not_overwritten": 1.0},
    "duplicated_file": {"enquiry_exported_once": 1.0},
    "truncated_file": {LOADER: 1.0},
    "renamed_column": {LOADER: 1.0},
    "export_cut_between_rows": {},
}
#: Kinds whose every detector together must catch all of them.
CAUGHT_WHOLE = {"utc_bst_boundary_shift"}
MAX_FALSE_ALARM_SHARE = 0.005
MIN_PRECISION = 0.6
#: Warn rules that flag the tail of clean data by design (a share of rows, never a defect).
TAIL_RULES = {"enquiry_budget_above_year_p99", "enquiry_guest_count_large_wedding"}


@pytest.fixture(scope="module")
def trial(
    simulated_landing: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrialResult]:
    """The simulated exports loaded by the real loader, then the messy trial beside them."""
    with schema_database() as loaded_url, schema_database() as trial_url:
        with connect(loaded_url) as conn:
            for table in RAW_TABLES:
                load_exports(conn, table, simulated_landing, export_dates(simulated_landing))
        yield run_messy_trial(
            simulated_landing, loaded_url, trial_url, tmp_path_factory.mktemp("trial")
        )


def test_every_rule_ran_and_every_kind_is_scored(trial: TrialResult) -> None:
    assert trial.rule_errors == {}
    assert {found.kind for found in trial.detections} == {kind.name for kind in KINDS}
    assert set(MEANT_FOR) == {kind.name for kind in KINDS}


@pytest.mark.parametrize("kind", sorted(MEANT_FOR))
def test_each_kind_is_caught_by_the_rule_meant_for_it(trial: TrialResult, kind: str) -> None:
    found = {d.detector: d for d in trial.detections if d.kind == kind}
    for detector, recall in MEANT_FOR[kind].items():
        assert detector in found, (kind, detector, sorted(found))
        assert found[detector].recall >= recall, found[detector]
        # Precision depends on how many defects there are beside the clean rows' rare breaches
        # (a real £260k budget): most flags must be real, and false alarms stay rare (below).
        assert found[detector].precision is not None and found[detector].precision >= MIN_PRECISION
    if kind in CAUGHT_WHOLE:
        rows = trial.truth[(trial.truth["kind"] == kind) & trial.truth["row_key"].notna()]
        expected = set(zip(rows["table_name"], rows["row_key"], strict=True))
        caught = set().union(*(trial.flagged[rule] for rule in MEANT_FOR[kind]))
        assert expected <= caught


def test_a_kind_no_rule_can_see_is_reported_with_its_reason(trial: TrialResult) -> None:
    cut = KINDS_BY_NAME["export_cut_between_rows"]
    [missed] = [d for d in trial.detections if d.kind == cut.name and d.table == cut.table]
    assert missed.detector == "" and missed.caught == 0 and missed.total > 0
    lines = "\n".join(render_trial(trial))
    assert f"not detectable by rule, because {cut.limits}" in lines
    for kind in KINDS:
        assert kind.name in lines


def test_loader_refuses_only_the_broken_files(trial: TrialResult) -> None:
    files = trial.truth[trial.truth["row_key"].isna()]
    assert {(t, str(night)) for t, night in trial.loader_errors} == set(
        zip(files["table_name"], files["export_date"], strict=True)
    )
    assert trial.clean_files > 0


def test_false_alarms_on_clean_rows_are_measured_and_rare(trial: TrialResult) -> None:
    for found in trial.detections:
        if found.detector and found.detector != LOADER:
            assert found.clean > 0, found
            if found.detector not in TAIL_RULES:
                assert found.false_alarm_share <= MAX_FALSE_ALARM_SHARE, found
