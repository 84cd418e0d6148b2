-- Demand by the month of the wedding: how many couples asked about, and booked, weddings in
-- each month, per vendor type and region. Enquiries without a real wedding date are left out.
-- A market with fewer than `benchmark_min_suppliers` suppliers is not published (k-anonymity).
{{ config(indexes=[{'columns': ['month', 'vendor_type', 'region'], 'unique': true}]) }}

select
    wedding_month as month,
    vendor_type,
    region,
    count(*) as enquiries,
    count(booking_id) as bookings,
    {{ rate('count(booking_id)', 'count(*)') }} as conversion_rate,
    coalesce(sum(booking_value_gbp) filter (where not is_cancelled), 0)::numeric(14, 2) as revenue_gbp
from {{ ref('fct_enquiries') }}
where wedding_month is not null
group by wedding_month, vendor_type, region
having {{ enough_suppliers() }}
