"""Write rule outcomes to the warehouse: the quarantine and the check history.

`quality.quarantine` mirrors the current raw data: after a check, it holds exactly the rows that
break each error rule now. A row whose defect was fixed in a later export leaves the quarantine,
so staging picks it up again; raw itself is never touched. Both writes of one outcome happen in
one transaction, so a reader never sees a history entry without its quarantine (or the reverse).
"""

from __future__ import annotations

import datetime as dt

import psycopg

from expectations.runner import RuleOutcome

_STAGE_OFFENDERS = """
create temporary table if not exists quarantine_candidates (
    row_key text primary key,
    value   text
) on commit drop;
truncate quarantine_candidates
"""

_RELEASE_FIXED_ROWS = """
delete from quality.quarantine q
where q.rule_id = %(rule_id)s and q.table_name = %(table_name)s
  and not exists (select 1 from quarantine_candidates c where c.row_key = q.row_key)
"""

_QUARANTINE_OFFENDERS = """
insert into quality.quarantine
    (rule_id, table_name, row_key, column_name, value, severity, checked_at)
select %(rule_id)s, %(table_name)s, row_key, %(column_name)s, value, %(severity)s, %(checked_at)s
from quarantine_candidates
on conflict (rule_id, table_name, row_key) do update
    set column_name = excluded.column_name, value = excluded.value,
        severity = excluded.severity, checked_at = excluded.checked_at
"""

_RECORD_CHECK = """
insert into quality.check_results
    (rule_id, table_name, severity, success, element_count, unexpected_count, unexpected_pct,
     error, checked_at)
values (%(rule_id)s, %(table_name)s, %(severity)s, %(success)s, %(element_count)s,
        %(unexpected_count)s, %(unexpected_pct)s, %(error)s, %(checked_at)s)
"""


def _sync_quarantine(conn: psycopg.Connection, outcome: RuleOutcome, params: dict) -> None:
    """Make the rule's quarantine rows equal to its current offenders."""
    conn.execute(_STAGE_OFFENDERS)
    with conn.cursor().copy("copy quarantine_candidates (row_key, value) from stdin") as copy:
        for offender in outcome.offenders:
            copy.write_row((offender.row_key, offender.value))
    conn.execute(_RELEASE_FIXED_ROWS, params)
    conn.execute(_QUARANTINE_OFFENDERS, params)


def record_outcome(
    conn: psycopg.Connection, outcome: RuleOutcome, checked_at: dt.datetime | None = None
) -> None:
    """Append the outcome to `quality.check_results`; sync the quarantine for error rules.

    A pipeline error is recorded with its text and leaves the quarantine as it was: a query
    that did not run says nothing about which rows are bad. Warn rules never quarantine.
    """
    rule = outcome.rule
    params = {
        "rule_id": rule.rule_id,
        "table_name": rule.table,
        "column_name": rule.column,
        "severity": rule.severity,
        "success": outcome.passed,
        "element_count": outcome.element_count,
        "unexpected_count": outcome.unexpected_count,
        "unexpected_pct": outcome.unexpected_pct,
        "error": outcome.error,
        "checked_at": checked_at or dt.datetime.now(dt.UTC),
    }
    with conn.transaction():
        if outcome.error is None and rule.severity == "error":
            _sync_quarantine(conn, outcome, params)
        conn.execute(_RECORD_CHECK, params)
