"""Rules on live events: duplicate event ids (error) and per-supplier volume anomalies (warn)."""

import datetime as dt
import uuid
from pathlib import Path

import pytest

from expectations.catalogue import RULES_BY_ID, VOLUME_BASELINE_WEEKS
from expectations.runner import run_rule
from expectations.store import record_outcome
from expectations.suite import quality_suite
from wedsync.warehouse import connect
from wedsync.warehouse.event_tables import apply_event_tables

pytestmark = pytest.mark.integration

LAST_DAY = dt.date(2026, 11, 20)
STEADY_PER_DAY = 3


def insert_events(url: str, events: list[tuple[uuid.UUID, str, dt.datetime]]) -> None:
    """Store events straight into raw.events (partitions for every month they span)."""
    with connect(url) as conn:
        for month in sorted({occurred.date().replace(day=1) for _, _, occurred in events}):
            apply_event_tables(conn, today=month)
        with conn.cursor().copy(
            "copy raw.events (event_id, event_type, occurred_at, supplier_id, properties)"
            " from stdin"
        ) as copy:
            for event_id, supplier_id, occurred in events:
                copy.write_row((event_id, "profile_view", occurred, supplier_id, "{}"))
        conn.commit()


def steady_history(
    supplier_id: str, last_day_events: int
) -> list[tuple[uuid.UUID, str, dt.datetime]]:
    """Steady events every day, a chosen count on LAST_DAY, and one event just after midnight
    (the newest day is still filling up, so LAST_DAY is the last complete one)."""
    next_morning = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(0, 5), dt.UTC)
    events = [(uuid.uuid4(), supplier_id, next_morning)]
    for back in range(7 * (VOLUME_BASELINE_WEEKS + 1)):
        day = LAST_DAY - dt.timedelta(days=back)
        count = last_day_events if back == 0 else STEADY_PER_DAY
        moment = dt.datetime.combine(day, dt.time(12), dt.UTC)
        events += [(uuid.uuid4(), supplier_id, moment) for _ in range(count)]
    return events


def test_volume_anomaly_warns_naming_only_the_unusual_supplier(
    warehouse_url: str, tmp_path: Path
) -> None:
    insert_events(
        warehouse_url,
        steady_history("sup_000001", last_day_events=40)
        + steady_history("sup_000002", last_day_events=STEADY_PER_DAY + 1),
    )
    rule = RULES_BY_ID["supplier_daily_event_volume"]
    outcome = run_rule(quality_suite(warehouse_url, tmp_path), rule)
    assert outcome.error is None
    assert [(o.row_key, o.value) for o in outcome.offenders] == [
        (f"sup_000001 {LAST_DAY.isoformat()}", "40")
    ]
    assert outcome.element_count == 2 * 7
    assert outcome.verdict == "tolerated"
    with connect(warehouse_url) as conn:
        record_outcome(conn, outcome)
        quarantine = conn.execute("select count(*) from quality.quarantine").fetchone()
    assert quarantine == (0,)


def test_volume_needs_a_full_baseline_before_judging(warehouse_url: str, tmp_path: Path) -> None:
    recent_only = [
        (uuid.uuid4(), "sup_000001", dt.datetime.combine(LAST_DAY, dt.time(9), dt.UTC))
        for _ in range(50)
    ]
    insert_events(warehouse_url, recent_only)
    outcome = run_rule(
        quality_suite(warehouse_url, tmp_path), RULES_BY_ID["supplier_daily_event_volume"]
    )
    assert outcome.passed and outcome.element_count == 0


def test_a_duplicated_event_id_is_quarantined(warehouse_url: str, tmp_path: Path) -> None:
    replayed = uuid.uuid4()
    moment = dt.datetime.combine(LAST_DAY, dt.time(10), dt.UTC)
    insert_events(
        warehouse_url,
        [(replayed, "sup_000001", moment), (replayed, "sup_000001", moment)]
        + [(uuid.uuid4(), "sup_000001", moment) for _ in range(3)],
    )
    rule = RULES_BY_ID["event_id_not_duplicated"]
    outcome = run_rule(quality_suite(warehouse_url, tmp_path), rule)
    assert [o.row_key for o in outcome.offenders] == [str(replayed)]
    with connect(warehouse_url) as conn:
        record_outcome(conn, outcome)
        rows = conn.execute(
            "select rule_id, table_name, row_key from quality.quarantine"
        ).fetchall()
    assert rows == [(rule.rule_id, "events", str(replayed))]
