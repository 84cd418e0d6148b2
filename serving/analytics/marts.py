"""Reading the analytics marts for `GET /api/analytics/metrics`, with the performance totals.

The marts are read as published (`served.*`, `wedsync.warehouse.served`): one build whole.

Which marts exist is checked per computation: the API starts before the first dbt build
(answering 503 with the missing marts named), and the event-driven marts
(`supplier_daily_activity`, `lead_funnel`) join the answer as soon as dbt has built them.
A mart's columns come from the catalog (`serving.analytics.catalog`): its period column (its
first date column: `month`, `day`...) for the date range and the grain, `vendor_type` for the vendor
filter, and its numeric columns, summed when a daily mart is rolled up to weeks or months.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from serving.analytics.catalog import Catalog, TableColumns
from serving.analytics.readers import SUPPLIER_MARKETS
from wedsync.conversion import with_conversion
from wedsync.warehouse.served import SERVED_SCHEMA, build_name, served_table

Grain = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Mart:
    """A mart the metrics answer includes."""

    name: str
    required: bool
    # Supplier-level marts are filtered on supplier_id; market marts on the supplier's markets.
    per_supplier: bool = True
    # A daily mart can be rolled up to weeks or months; the others are monthly already.
    daily: bool = False


METRICS_MARTS = (
    Mart("vendor_performance", required=True),
    Mart("seasonal_bookings", required=True, per_supplier=False),
    Mart("supplier_daily_activity", required=False, daily=True),
    Mart("lead_funnel", required=False),
)


class MartsNotBuilt(LookupError):
    """A mart the answer needs is not published yet (the API answers 503 naming its build)."""

    def __init__(self, missing: list[str]):
        super().__init__(
            f"analytics not built yet: {', '.join(build_name(m) for m in missing)} missing "
            "(run `make build`, or materialize the dbt assets in Dagster)"
        )


@dataclass(frozen=True)
class MetricsQuery:
    """The effective filters of one metrics request."""

    supplier_id: str | None  # None: every supplier (platform keys only)
    start: dt.date | None
    end: dt.date | None
    grain: Grain | None = None  # None: each mart at its own grain
    vendor_type: str | None = None

    def filters(self) -> Filters:
        """Which filters are set: all a statement's text depends on besides the mart."""
        return Filters(
            self.supplier_id is not None,
            self.start is not None,
            self.end is not None,
            self.vendor_type is not None,
        )

    def as_params(self) -> dict[str, object]:
        """The filters by name (for the cache key and the SQL parameters)."""
        return {
            "supplier_id": self.supplier_id,
            "start": self.start,
            "end": self.end,
            "grain": self.grain,
            "vendor_type": self.vendor_type,
        }


@dataclass(frozen=True)
class Filters:
    """Which of a `MetricsQuery`'s filters are set."""

    supplier: bool
    start: bool
    end: bool
    vendor_type: bool


def json_default(value: object) -> object:
    """orjson's fallback for the database's types (numerics become floats)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__} in an answer")


def _conditions(mart: Mart, columns: TableColumns, query: Filters) -> sql.Composable:
    conditions: list[sql.Composable] = []
    if query.supplier:
        conditions.append(
            sql.SQL("supplier_id = %(supplier_id)s") if mart.per_supplier else SUPPLIER_MARKETS
        )
    period = sql.Identifier(columns.dates[0])
    if query.start:
        conditions.append(sql.SQL("{} >= %(start)s").format(period))
    if query.end:
        conditions.append(sql.SQL("{} <= %(end)s").format(period))
    if query.vendor_type and "vendor_type" in columns.names:
        conditions.append(sql.SQL("vendor_type = %(vendor_type)s"))
    return sql.SQL(" and ").join(conditions) if conditions else sql.SQL("true")


def _mart_query(mart: Mart, columns: TableColumns, query: Filters) -> sql.Composed:
    order = [sql.Identifier("supplier_id")] if mart.per_supplier else []
    # The leading columns (the grain) make the row order, and so the ETag, deterministic.
    order.append(sql.Identifier(columns.dates[0]))
    return sql.SQL("select * from {mart} where {conditions} order by {order}").format(
        mart=served_table(mart.name),
        conditions=_conditions(mart, columns, query),
        order=sql.SQL(", ").join([*order, sql.SQL("1, 2, 3")]),
    )


def _rollup_query(mart: Mart, columns: TableColumns, query: Filters) -> sql.Composed:
    """A daily mart summed per supplier and `query.grain` (its numeric columns are counts)."""
    period = sql.Identifier(columns.dates[0])
    sums = [
        sql.SQL("sum({name}) as {name}").format(name=sql.Identifier(name))
        for name in columns.numeric
        if not name.endswith("_rate")
    ]
    return sql.SQL(
        "select supplier_id, date_trunc(%(grain)s, {period})::date as {period}, {sums} "
        "from {mart} where {conditions} group by 1, 2 order by 1, 2"
    ).format(
        period=period,
        sums=sql.SQL(", ").join(sums),
        mart=served_table(mart.name),
        conditions=_conditions(mart, columns, query),
    )


@functools.lru_cache(maxsize=1024)
def _statement(mart: Mart, columns: TableColumns, filters: Filters, rollup: bool) -> str:
    """A mart's query as text, composed once per shape.

    Composing it (identifiers quoted, fragments joined) cost more CPU than sending it; its text
    depends on nothing but these arguments (the values travel as parameters), and a rebuilt
    mart with other columns is another `TableColumns`.
    """
    return (_rollup_query if rollup else _mart_query)(mart, columns, filters).as_string()


def performance_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer's `vendor_performance` rows summed, with the conversion and its interval.

    Computed here rather than in the dashboard so that the one Wilson interval
    (`wedsync.conversion`) is all any client shows: a client that summed the rows itself
    would have to repeat the formula.
    """
    totals: dict[str, Any] = {
        "months": len({row["month"] for row in rows}),
        **{
            name: sum(row[name] or 0 for row in rows)
            for name in ("enquiries", "bookings", "cancellations", "revenue_gbp")
        },
    }
    return with_conversion(totals, "bookings", "enquiries")


async def read_metrics(
    conn: psycopg.AsyncConnection, query: MetricsQuery, version: int, catalog: Catalog
) -> bytes:
    """The metrics answer as JSON bytes: one list of rows per mart (null: not built yet)."""
    found = {
        m.name: await catalog.columns(conn, version, SERVED_SCHEMA, m.name) for m in METRICS_MARTS
    }
    # A mart is usable with a period column (its first date column) to filter and order by.
    usable = {name: columns for name, columns in found.items() if columns and columns.dates}
    missing = [m.name for m in METRICS_MARTS if m.required and m.name not in usable]
    if missing:
        raise MartsNotBuilt(missing)
    params, filters = query.as_params(), query.filters()
    answer: dict[str, Any] = {"dataset_version": version, **params}
    # Every query is sent before any answer is read: in pipeline mode, one round trip.
    sent: list[tuple[Mart, bool, psycopg.AsyncCursor[dict[str, Any]]]] = []
    for mart in METRICS_MARTS:
        columns = usable.get(mart.name)
        if columns is None:
            answer[mart.name] = None
            continue
        rollup = mart.daily and query.grain not in (None, "day")
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(_statement(mart, columns, filters, rollup), params)
        sent.append((mart, rollup and {"enquiries", "bookings"} <= set(columns.numeric), cursor))
    for mart, with_rate, cursor in sent:
        mart_rows = await cursor.fetchall()
        await cursor.close()
        if with_rate:
            mart_rows = [with_conversion(row, "bookings", "enquiries") for row in mart_rows]
        answer[mart.name] = mart_rows
    answer["vendor_performance_totals"] = performance_totals(answer["vendor_performance"])
    return orjson.dumps(answer, default=json_default)
