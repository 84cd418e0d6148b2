-- Money by the month of the wedding, per vendor type and region: what standing bookings are
-- worth, what couples have paid (deposits and balances), and what is still outstanding.
-- Revenue is recognised in the wedding's month, when the supplier delivers. A market with
-- fewer than `benchmark_min_suppliers` suppliers is not published (k-anonymity).
{{ config(indexes=[{'columns': ['month', 'vendor_type', 'region'], 'unique': true}]) }}

select
    wedding_month as month,
    vendor_type,
    region,
    count(*) as bookings,
    sum(total_value_gbp)::numeric(14, 2) as booked_value_gbp,
    sum(deposit_paid_gbp)::numeric(14, 2) as deposits_received_gbp,
    sum(balance_paid_gbp)::numeric(14, 2) as balances_received_gbp,
    sum(deposit_outstanding_gbp)::numeric(14, 2) as deposits_outstanding_gbp,
    sum(balance_outstanding_gbp)::numeric(14, 2) as balances_outstanding_gbp
from {{ ref('fct_bookings') }}
where not is_cancelled
  and wedding_month is not null
group by wedding_month, vendor_type, region
having {{ enough_suppliers() }}
