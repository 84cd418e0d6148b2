"""k >= 5 suppliers on every market-level figure (issue 15, Medium #7).

Before, `seasonal_bookings`, `seasonal_demand` and `revenue` published a market's figures
(bookings, revenue) however few suppliers were in it: in a two-supplier market each supplier
subtracts its own numbers and reads its competitor's. Now every market mart publishes a cell
only where `benchmark_min_suppliers` (5) suppliers contribute, the rule `market_benchmarks`
already had, through one macro (`enough_suppliers`).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from orchestration.defs.dbt.resources import dbt_resource
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

MARKET_MARTS = ("seasonal_bookings", "seasonal_demand", "revenue", "market_benchmarks")
#: Five photographers in London (published), two florists in Wales (suppressed).
MARKETS = {("photographer", "london"): 5, ("florist", "wales"): 2}

_FACTS = """
create schema if not exists marts;
create table marts.fct_enquiries (
    enquiry_id text, supplier_id text, vendor_type text, region text, wedding_date date,
    wedding_month date, enquiry_month date, enquiry_quarter date, booking_id text,
    booking_value_gbp numeric(14, 2), is_cancelled boolean, is_peak_season boolean,
    base_price_gbp numeric(12, 2), first_response_hours numeric);
create table marts.fct_bookings (
    booking_id text, supplier_id text, vendor_type text, region text, wedding_month date,
    is_cancelled boolean, total_value_gbp numeric(14, 2), deposit_paid_gbp numeric(14, 2),
    balance_paid_gbp numeric(14, 2), deposit_outstanding_gbp numeric(14, 2),
    balance_outstanding_gbp numeric(14, 2));
"""
_ENQUIRY = """
insert into marts.fct_enquiries values
    (%(id)s || '_a', %(supplier)s, %(vendor_type)s, %(region)s, '2026-09-12', '2026-09-01',
     '2026-05-01', '2026-04-01', %(id)s || '_bkg', %(value)s, false, true, 1500, 4),
    (%(id)s || '_b', %(supplier)s, %(vendor_type)s, %(region)s, '2026-09-19', '2026-09-01',
     '2026-05-01', '2026-04-01', null, null, null, true, 1500, 6);
insert into marts.fct_bookings values
    (%(id)s || '_bkg', %(supplier)s, %(vendor_type)s, %(region)s, '2026-09-01', false,
     %(value)s, 500, 0, 0, %(value)s - 500);
"""


@pytest.fixture(scope="module")
def built_marts() -> Iterator[str]:
    """The market marts built by dbt over facts of one large and one two-supplier market."""
    with throwaway_database("wedsync_k_anonymity") as url:
        with connect(url) as conn:
            apply_schema(conn)
            conn.execute(_FACTS)
            number = 0
            for (vendor_type, region), suppliers in MARKETS.items():
                for _ in range(suppliers):
                    number += 1
                    # Two statements with parameters: bound client-side.
                    psycopg.ClientCursor(conn).execute(
                        _ENQUIRY,
                        {
                            "id": f"enq_{number:07d}",
                            "supplier": f"sup_{number:06d}",
                            "vendor_type": vendor_type,
                            "region": region,
                            "value": 2000 + 100 * number,
                        },
                    )
            conn.commit()
        run = dbt_resource(url).cli(
            ["run", "--select", " ".join(MARKET_MARTS)], raise_on_error=False
        )
        run.wait()
        assert run.is_successful(), run.get_error()
        yield url


@pytest.mark.parametrize("mart", MARKET_MARTS)
def test_a_market_of_fewer_than_five_suppliers_is_not_published(
    built_marts: str, mart: str
) -> None:
    with connect(built_marts) as conn:
        markets = conn.execute(f"select distinct vendor_type, region from marts.{mart}").fetchall()
    assert markets == [("photographer", "london")]
