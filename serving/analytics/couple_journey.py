"""The answer of the couple-journey route, read from `marts.couple_journey` (issue 14).

The mart has one row per dimension (budget band, guest-count band, or every booking) and market
(vendor type x region), already suppressed below `benchmark_min_suppliers` booked suppliers by
dbt, so a supplier sees its own markets' published rows and nothing a competitor could be read
from. The answer groups the rows by dimension, the way the dashboard shows them; it is required
(503 naming it before the first build).
"""

from __future__ import annotations

import orjson

from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Audience, Source, read_rows

#: The mart's `dimension` values, and the answer's key for each.
SECTIONS = {
    "budget": "budget_versus_quality",
    "guest_count": "guest_count_choice",
    "all": "time_to_booking",
}


async def read_couple_journey(source: Source, audience: Audience) -> bytes:
    """The audience's markets' journey cells, one list per dimension, bands in order."""
    rows = await read_rows(
        source,
        "marts",
        "couple_journey",
        audience,
        ("dimension", "vendor_type", "region", "band_from"),
    )
    if rows is None:
        raise MartsNotBuilt(["couple_journey"])
    answer: dict[str, object] = {"dataset_version": source.version, **audience.params()}
    for dimension, key in SECTIONS.items():
        answer[key] = [row for row in rows if row["dimension"] == dimension]
    return orjson.dumps(answer, default=json_default)
