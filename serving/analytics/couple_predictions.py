"""The answers of the couple-budget and review-score routes, read from `predictions.*` (issue 14).

Dagster scores both tables with the registered champion and replaces them whole each run
(`ml.couple_predictions`). Each has `supplier_id` and row-level security: a supplier's key reads
the couples whose first enquiry was to it (budget) and its own bookings (review score); the
explicit filter only lets a platform key narrow to one supplier. Each answer names the model
version it was scored with and whether that champion is the baseline the gate kept (median
budget, prior score shares), and summarises every visible row before listing the first
`limit`. Both tables are required (503 naming them before the first scoring run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from ml.couple_budget import REGISTERED_MODEL as COUPLE_BUDGET_MODEL
from ml.registry import CHAMPION
from ml.review_score import REGISTERED_MODEL as REVIEW_SCORE_MODEL
from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Source
from wedsync.warehouse.served import served_table

#: Rows listed when the caller does not ask for a number, and the most it may ask for.
DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000


@dataclass(frozen=True)
class PredictionTable:
    """One champion-scored table: its rows' columns, their order, and the summary over them."""

    table: str
    registered_model: str
    #: The answer's key for the count of visible rows.
    count_key: str
    columns: tuple[str, ...]
    order_by: sql.Composable
    #: `name: aggregate` over every visible row.
    summary: dict[str, str]


COUPLE_BUDGETS = PredictionTable(
    table="couple_budget",
    registered_model=COUPLE_BUDGET_MODEL,
    count_key="couples",
    columns=("couple_id", "supplier_id", "first_enquiry_date", "predicted_budget_gbp"),
    # The newest enquirers first: the couples a supplier is quoting now.
    order_by=sql.SQL("first_enquiry_date desc, couple_id"),
    summary={
        "mean_predicted_budget_gbp": "avg(predicted_budget_gbp)",
        "p25_predicted_budget_gbp": "percentile_cont(0.25) within group "
        "(order by predicted_budget_gbp)",
        "median_predicted_budget_gbp": "percentile_cont(0.5) within group "
        "(order by predicted_budget_gbp)",
        "p75_predicted_budget_gbp": "percentile_cont(0.75) within group "
        "(order by predicted_budget_gbp)",
    },
)
REVIEW_SCORES = PredictionTable(
    table="review_score",
    registered_model=REVIEW_SCORE_MODEL,
    count_key="bookings",
    columns=(
        "booking_id",
        "supplier_id",
        "wedding_date",
        "expected_score",
        "probability_good_review",
    ),
    # The bookings least likely to be reviewed 4-5 stars first: where care pays most.
    order_by=sql.SQL("probability_good_review, wedding_date nulls last, booking_id"),
    summary={
        "mean_expected_score": "avg(expected_score)",
        "mean_probability_good_review": "avg(probability_good_review)",
    },
)

_VISIBLE = sql.SQL("(%(supplier_id)s::text is null or supplier_id = %(supplier_id)s)")


def _model(table: PredictionTable, scored: dict[str, Any] | None) -> dict[str, Any] | None:
    """Which champion scored the visible rows (None when there are none)."""
    if scored is None:
        return None
    return {
        "registered_model": table.registered_model,
        "alias": CHAMPION,
        "version": scored["model_version"],
        "candidate": scored["model_candidate"],
        "champion_is_baseline": scored["champion_is_baseline"],
        "scored_at": scored["scored_at"],
    }


async def read_predictions(
    source: Source, table: PredictionTable, supplier_id: str | None, limit: int
) -> bytes:
    """The champion, the summary over every visible row and the first `limit` rows."""
    if await source.columns(table.table) is None:
        raise MartsNotBuilt([table.table])
    target = served_table(table.table)
    params = {"supplier_id": supplier_id, "limit": limit}
    # The newest scoring run (the table is replaced whole, so normally the only one).
    scored_by = sql.SQL(
        "select model_version, model_candidate, champion_is_baseline, max(scored_at) as scored_at"
        " from {target} where {visible} group by 1, 2, 3 order by 4 desc limit 1"
    ).format(target=target, visible=_VISIBLE)
    summary = sql.SQL(
        "select count(*) as total, {aggregates} from {target} where {visible}"
    ).format(
        aggregates=sql.SQL(", ").join(
            sql.SQL("{} as {}").format(sql.SQL(aggregate), sql.Identifier(name))
            for name, aggregate in table.summary.items()
        ),
        target=target,
        visible=_VISIBLE,
    )
    rows = sql.SQL(
        "select {columns} from {target} where {visible} order by {order} limit %(limit)s"
    ).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, table.columns)),
        target=target,
        visible=_VISIBLE,
        order=table.order_by,
    )
    async with source.conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(scored_by, params)
        model = _model(table, await cursor.fetchone())
        await cursor.execute(summary, params)
        totals = await cursor.fetchone() or {"total": 0}
        await cursor.execute(rows, params)
        listed = await cursor.fetchall()
    answer = {
        "dataset_version": source.version,
        "supplier_id": supplier_id,
        "model": model,
        table.count_key: totals.pop("total"),
        **totals,
        "limit": limit,
        "predictions": listed,
    }
    return orjson.dumps(answer, default=json_default)
