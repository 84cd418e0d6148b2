"""The answer of the couple-journey route, read from `marts.couple_journey` as published (issue 14).

The mart has one row per dimension (budget band, guest-count band, or every booking) and market
(vendor type x region), and per vendor type nationally (region 'all'), already suppressed below
`benchmark_min_suppliers` booked suppliers by dbt. A supplier sees its own markets' rows and its
own vendor types' national rows, nothing of other types. The answer groups the rows by
dimension, the way the dashboard shows them; it is required (503 naming it before the first
build).
"""

from __future__ import annotations

import orjson
from psycopg import sql
from psycopg.rows import dict_row

from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Audience, Source, read_rows
from wedsync.warehouse.served import served_table

#: The mart's `region` of a vendor type's cells across every region.
NATIONAL = "all"
#: The vendor types a supplier trades as (row-level security: its own rows only).
_SUPPLIER_TYPES = sql.SQL(
    "select distinct vendor_type from {} where supplier_id = %s order by vendor_type"
).format(served_table("vendor_performance"))
_ORDER = ("dimension", "vendor_type", "region", "band_from")

#: The mart's `dimension` values, and the answer's key for each.
SECTIONS = {
    "budget": "budget_versus_quality",
    "guest_count": "guest_count_choice",
    "all": "time_to_booking",
}


async def _national_rows(source: Source, audience: Audience) -> list[dict[str, object]]:
    """A supplier's own vendor types across every region (its markets' rows exclude them)."""
    if audience.supplier_id is None:
        return []  # the platform's rows hold them already
    async with source.conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(_SUPPLIER_TYPES, (audience.supplier_id,))
        types = [row["vendor_type"] for row in await cursor.fetchall()]
    rows: list[dict[str, object]] = []
    for vendor_type in types:
        if audience.vendor_type in (None, vendor_type) and audience.region in (None, NATIONAL):
            national = Audience(None, vendor_type, NATIONAL)
            rows += await read_rows(source, "couple_journey", national, _ORDER) or []
    return rows


async def read_couple_journey(source: Source, audience: Audience) -> bytes:
    """The audience's journey cells, one list per dimension, bands in order."""
    rows = await read_rows(source, "couple_journey", audience, _ORDER)
    if rows is None:
        raise MartsNotBuilt(["couple_journey"])
    rows += await _national_rows(source, audience)
    answer: dict[str, object] = {"dataset_version": source.version, **audience.params()}
    for dimension, key in SECTIONS.items():
        answer[key] = [row for row in rows if row["dimension"] == dimension]
    return orjson.dumps(answer, default=json_default)
