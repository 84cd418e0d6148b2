"""The answers of the market-gaps and capacity routes, read from the dbt marts of issue 14.

`marts.market_gaps` has one row per wedding month and market (vendor type x region), already
suppressed below `benchmark_min_suppliers` suppliers by dbt, so a supplier sees its own
markets' published rows and nothing a competitor could be read from. `marts.supplier_capacity`
has one row per supplier and row-level security: a supplier's key reads its own row only.
Both are required (503 naming them before the first build).
"""

from __future__ import annotations

from typing import Any

import orjson

from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Audience, Source, read_rows

#: A market's months up to this unmet-demand rank are listed as its gaps.
TOP_GAP_RANK = 3


async def _required_rows(
    source: Source, table: str, audience: Audience, order_by: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows = await read_rows(source, table, audience, order_by)
    if rows is None:
        raise MartsNotBuilt([table])
    return rows


async def read_market_gaps(source: Source, audience: Audience) -> bytes:
    """The audience's markets per wedding month, and each market's months of most unmet demand."""
    months = await _required_rows(
        source, "market_gaps", audience, ("vendor_type", "region", "wedding_month")
    )
    gaps = sorted(
        (row for row in months if row["unmet_couples"] and row["unmet_rank"] <= TOP_GAP_RANK),
        key=lambda row: (-row["unmet_couples"], row["vendor_type"], row["region"]),
    )
    answer = {
        "dataset_version": source.version,
        **audience.params(),
        "top_gap_rank": TOP_GAP_RANK,
        "top_gaps": gaps,
        "market_gaps": months,
    }
    return orjson.dumps(answer, default=json_default)


async def read_supplier_capacity(source: Source, audience: Audience) -> bytes:
    """Peak-season fill and open busy Saturdays of the suppliers the audience may see."""
    suppliers = await _required_rows(source, "supplier_capacity", audience, ("supplier_id",))
    answer = {"dataset_version": source.version, **audience.params(), "suppliers": suppliers}
    return orjson.dumps(answer, default=json_default)
