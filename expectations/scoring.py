"""How well the rules catch the simulator's injected defects: precision and recall per rule.

The simulator lists every defect it injected in `<landing>/_truth/defects.parquet`
(defect_type, table_name, row_key, column_name, value). A rule's flagged rows are what its last
check left in `quality.quarantine`, i.e. what the marts actually exclude. Precision is the share
of flagged rows that carry the rule's defect type; recall the share of injected defects of that
type the rule flagged. With nothing flagged precision is 1.0 (nothing wrongly flagged); with
nothing injected recall is 1.0 (nothing missed).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import psycopg
import pyarrow.parquet as pq

from expectations.catalogue import RULES

DEFECTS_FILE = "defects.parquet"


class RuleScore(NamedTuple):
    """One row of the build summary's rule table."""

    rule_id: str
    defect_type: str
    precision: float
    recall: float


def injected_defects(truth_dir: Path) -> set[tuple[str, str, str]]:
    """(defect_type, table_name, row_key) of every injected defect."""
    path = truth_dir / DEFECTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"truth_dir: no {DEFECTS_FILE} in {truth_dir}")
    rows = pq.read_table(path, columns=["defect_type", "table_name", "row_key"]).to_pylist()
    return {(row["defect_type"], row["table_name"], str(row["row_key"])) for row in rows}


def quarantined_rows(conn: psycopg.Connection) -> set[tuple[str, str, str]]:
    """(rule_id, table_name, row_key) of every row currently in quarantine."""
    rows = conn.execute("select rule_id, table_name, row_key from quality.quarantine").fetchall()
    return {(rule_id, table, key) for rule_id, table, key in rows}


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def score_against_truth(conn: psycopg.Connection, truth_dir: Path) -> list[RuleScore]:
    """Precision and recall of every rule meant to catch an injected defect type."""
    injected = injected_defects(truth_dir)
    quarantined = quarantined_rows(conn)
    scores = []
    for rule in RULES:
        if rule.defect_type is None:
            continue
        flagged = {(t, k) for r, t, k in quarantined if r == rule.rule_id}
        expected = {(t, k) for d, t, k in injected if d == rule.defect_type}
        caught = len(flagged & expected)
        scores.append(
            RuleScore(
                rule.rule_id,
                rule.defect_type,
                precision=_ratio(caught, len(flagged)),
                recall=_ratio(caught, len(expected)),
            )
        )
    return scores


def false_alarms(conn: psycopg.Connection, truth_dir: Path) -> list[tuple[str, str, str]]:
    """Quarantined rows that are not an injected defect of their rule's type, sorted.

    Covers the rules without a defect type too: on simulated data they must flag nothing.
    """
    injected = injected_defects(truth_dir)
    defect_of = {rule.rule_id: rule.defect_type for rule in RULES}
    return sorted(
        (rule_id, table, key)
        for rule_id, table, key in quarantined_rows(conn)
        if (defect_of.get(rule_id), table, key) not in injected
    )
