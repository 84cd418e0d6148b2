"""Reading the analytics marts for `GET /api/analytics/metrics`.

Which marts exist is checked per computation: the API starts before the first dbt build
(answering 503 with the missing marts named), and the event-driven marts
(`supplier_daily_activity`, `lead_funnel`) join the answer as soon as dbt has built them.
A mart's period column (its first `date` column: `month`, `day`...) is read from the catalog,
so the date-range filter works on every mart without the API restating dbt's columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import dict_row


@dataclass(frozen=True)
class Mart:
    """A mart the metrics answer includes."""

    name: str
    required: bool
    # Supplier-level marts are filtered on supplier_id; market marts on the supplier's markets.
    per_supplier: bool = True


METRICS_MARTS = (
    Mart("vendor_performance", required=True),
    Mart("seasonal_bookings", required=True, per_supplier=False),
    Mart("supplier_daily_activity", required=False),
    Mart("lead_funnel", required=False),
)


class MartsNotBuilt(LookupError):
    """A mart the answer needs does not exist yet (the API answers 503)."""

    def __init__(self, missing: list[str]):
        super().__init__(
            f"analytics not built yet: {', '.join('marts.' + m for m in missing)} missing "
            "(run `make build`, or materialize the dbt assets in Dagster)"
        )


@dataclass(frozen=True)
class MetricsQuery:
    """The effective filters of one metrics request."""

    supplier_id: str | None  # None: every supplier (platform keys only)
    start: dt.date | None
    end: dt.date | None


# Marts that do not exist yet simply have no row here.
_PERIOD_COLUMNS = """
select distinct on (table_name) table_name, column_name
from information_schema.columns
where table_schema = 'marts' and data_type = 'date' and table_name = any(%(marts)s)
order by table_name, ordinal_position
"""

# The markets (vendor type x region) a supplier trades in, for the seasonal market rows.
_SUPPLIER_MARKETS = sql.SQL(
    "(vendor_type, region) in (select distinct vendor_type, region "
    "from marts.vendor_performance where supplier_id = %(supplier_id)s)"
)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__} in a metrics answer")


def _mart_query(mart: Mart, period: str, query: MetricsQuery) -> sql.Composed:
    conditions: list[sql.Composable] = []
    if query.supplier_id is not None:
        conditions.append(
            sql.SQL("supplier_id = %(supplier_id)s") if mart.per_supplier else _SUPPLIER_MARKETS
        )
    if query.start is not None:
        conditions.append(sql.SQL("{} >= %(start)s").format(sql.Identifier(period)))
    if query.end is not None:
        conditions.append(sql.SQL("{} <= %(end)s").format(sql.Identifier(period)))
    order = [sql.Identifier("supplier_id")] if mart.per_supplier else []
    # The leading columns (the grain) make the row order, and so the ETag, deterministic.
    order.append(sql.Identifier(period))
    return sql.SQL("select * from {mart} where {conditions} order by {order}").format(
        mart=sql.Identifier("marts", mart.name),
        conditions=sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true"),
        order=sql.SQL(", ").join([*order, sql.SQL("1, 2, 3")]),
    )


async def read_metrics(conn: psycopg.AsyncConnection, query: MetricsQuery, version: int) -> bytes:
    """The metrics answer as JSON bytes: one list of rows per mart (null: not built yet)."""
    cursor = await conn.execute(_PERIOD_COLUMNS, {"marts": [m.name for m in METRICS_MARTS]})
    periods: dict[str, str] = dict(await cursor.fetchall())
    missing = [m.name for m in METRICS_MARTS if m.required and m.name not in periods]
    if missing:
        raise MartsNotBuilt(missing)
    answer: dict[str, Any] = {
        "supplier_id": query.supplier_id,
        "dataset_version": version,
        "start": query.start,
        "end": query.end,
    }
    params = {"supplier_id": query.supplier_id, "start": query.start, "end": query.end}
    async with conn.cursor(row_factory=dict_row) as rows:
        for mart in METRICS_MARTS:
            period = periods.get(mart.name)
            if period is None:
                answer[mart.name] = None
                continue
            await rows.execute(_mart_query(mart, period, query), params)
            answer[mart.name] = await rows.fetchall()
    return orjson.dumps(answer, default=_json_default)
