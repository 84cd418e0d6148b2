"""The answer of `GET /api/suppliers/{supplier_id}/network`, read from `marts.vendor_network`.

The mart has one row per ordered pair (supplier, partner) some couple booked both of, and
row-level security on `supplier_id`: a supplier's key reads the rows where it is the one whose
couples are counted, its own partners, never who a competitor's couples went on to book. Its
regional base rates are published only where at least `benchmark_min_suppliers` suppliers
booked (dbt). The mart is required (503 naming it before the first build); a supplier with no
co-bookings has an empty network, and an id that is no supplier is `404`.
"""

from __future__ import annotations

from typing import Any

import orjson

from serving.analytics.insights import SupplierNotFound
from serving.analytics.marts import MartsNotBuilt, json_default
from serving.analytics.readers import Audience, Source, read_rows


def _strongest_first(row: dict[str, Any]) -> tuple[bool, float, int, str]:
    """Predicted referral partners first, then by lift and couples (most first)."""
    lift = float(row["lift"]) if row["lift"] is not None else 0.0
    return (not row["is_predicted_referral"], -lift, -row["followed_couples"], row["partner_id"])


async def read_supplier_network(source: Source, supplier_id: str) -> bytes:
    """The supplier's co-booking partners, strongest referral first."""
    audience = Audience(supplier_id)
    partners = await read_rows(source, "vendor_network", audience)
    if partners is None:
        raise MartsNotBuilt(["vendor_network"])
    if not partners and not await read_rows(source, "dim_suppliers", audience):
        raise SupplierNotFound(supplier_id)
    partners.sort(key=_strongest_first)
    answer = {
        "supplier_id": supplier_id,
        "dataset_version": source.version,
        "referral_partners": sum(bool(row["is_predicted_referral"]) for row in partners),
        "partners": partners,
    }
    return orjson.dumps(answer, default=json_default)
