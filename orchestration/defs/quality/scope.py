"""A rule's verdict on the night being loaded, not on three years of history.

A rule is evaluated on the whole raw table (that keeps the quarantine exact: a row fixed by a
later export leaves it), but the check's verdict counts only the rows of the export dates the
run loaded. One broken night then breaks its own partition's tolerance, where on the whole
table it was diluted to well under 5% and never blocked anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Set

from expectations.rule import Rule
from expectations.runner import RuleOutcome
from wedsync.warehouse.schema import RAW_TABLES

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def export_dates_of_run(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The first and last export date a run loads (its partition tags); None if unpartitioned."""
    if PARTITION_TAG in tags:
        day = dt.date.fromisoformat(tags[PARTITION_TAG])
        return day, day
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return dt.date.fromisoformat(tags[RANGE_START_TAG]), dt.date.fromisoformat(
            tags[RANGE_END_TAG]
        )
    return None


def can_scope(rule: Rule) -> bool:
    """Whether the rule's rows are the export table's own rows, named by the table's key.

    Rules over derived rows (a supplier-day's event volume) judge the whole table.
    """
    table = RAW_TABLES.get(rule.table)
    return table is not None and rule.row_key == table.key


def scoped_outcome(outcome: RuleOutcome, night_keys: Set[str]) -> RuleOutcome:
    """The outcome counted over the rows exported on the run's nights (`night_keys`) only."""
    if outcome.error is not None:
        return outcome
    offenders = tuple(o for o in outcome.offenders if o.row_key in night_keys)
    return dataclasses.replace(
        outcome,
        element_count=len(night_keys),
        unexpected_count=len(offenders),
        offenders=offenders,
    )
