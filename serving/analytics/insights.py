"""The answers of the insight routes: wedding insights, a supplier's performance, alerts.

Each returns finished JSON bytes for the cache, read from the published build (`served.*`).
Parts built by other pipelines (dbt's market marts, the ML helpers' `predictions.*` tables) are
read when they are published and are `null` until then; only `marts.vendor_performance`,
which says which markets a supplier trades in, and the alert mart for the alert route are
required (503 naming them before the first build).
"""

from __future__ import annotations

from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Audience, Source, read_rows
from wedsync.conversion import with_conversion
from wedsync.warehouse.served import served_table

#: What `GET /api/analytics/wedding-insights` gathers: (table, leading sort columns).
INSIGHT_SOURCES = (
    ("seasonal_demand", ("month",)),
    ("market_benchmarks", ("quarter",)),
    ("demand_forecast", ("month",)),
    ("price_advice", ("month",)),
    ("pipeline_value", ("supplier_id",)),
)

_TOTALS = sql.SQL("""
select supplier_id, min(vendor_type) as vendor_type, min(region) as region,
       min(price_band) as price_band, min(month) as first_month, max(month) as last_month,
       sum(enquiries) as enquiries, sum(bookings) as bookings,
       sum(cancellations) as cancellations, sum(revenue_gbp) as revenue_gbp,
       sum(reviews) as reviews,
       sum(avg_rating * reviews) / nullif(sum(reviews), 0) as avg_rating
from {} where supplier_id = %s group by supplier_id
""").format(served_table("vendor_performance"))


class SupplierNotFound(LookupError):
    """No such supplier among the rows the caller may see (answered with 404)."""


async def _require(source: Source, table: str) -> None:
    if await source.columns(table) is None:
        raise MartsNotBuilt([table])


def _dumps(answer: dict[str, Any]) -> bytes:
    return orjson.dumps(answer, default=json_default)


async def read_wedding_insights(source: Source, audience: Audience) -> bytes:
    """Seasonal demand and benchmarks of the audience's markets, with forecasts and advice."""
    await _require(source, "vendor_performance")
    answer: dict[str, Any] = {"dataset_version": source.version, **audience.params()}
    for table, order_by in INSIGHT_SOURCES:
        answer[table] = await read_rows(source, table, audience, order_by)
    return _dumps(answer)


async def read_supplier_performance(source: Source, supplier_id: str) -> bytes:
    """One supplier's months, its totals with the conversion's 95% interval, and its market."""
    await _require(source, "vendor_performance")
    audience = Audience(supplier_id)
    months = await read_rows(source, "vendor_performance", audience, ("month",))
    if not months:
        raise SupplierNotFound(supplier_id)
    async with source.conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(_TOTALS, (supplier_id,))
        totals = await cursor.fetchone()
    assert totals is not None  # the supplier has rows, so the aggregate has one
    benchmarks = await read_rows(source, "market_benchmarks", audience, ("quarter",))
    pipeline = await read_rows(source, "pipeline_value", audience)
    return _dumps(
        {
            "supplier_id": supplier_id,
            "dataset_version": source.version,
            "totals": with_conversion(totals, "bookings", "enquiries"),
            "months": months,
            "market_benchmark": benchmarks[-1] if benchmarks else None,
            "pipeline_value": pipeline[0] if pipeline else None,
        }
    )


async def read_wedding_day_alerts(source: Source, audience: Audience) -> bytes:
    """Upcoming weddings with money owed or details missing, soonest first."""
    alerts = await read_rows(
        source, "wedding_day_alerts", audience, ("wedding_date", "supplier_id")
    )
    if alerts is None:
        raise MartsNotBuilt(["wedding_day_alerts"])
    return _dumps({"dataset_version": source.version, **audience.params(), "alerts": alerts})
