-- One row per enquiry with only what was known when the couple enquired (plus the first
-- response, which arrives within hours), and the outcome the booking model learns from.
-- Column names and types are the contract ml/features.py reads (docs/internals.md).
select
    enquiry_id,
    supplier_id,
    couple_id,
    enquiry_date,
    vendor_type,
    region,
    price_band,
    channel,
    lead_time_days::integer as lead_time_days,
    guest_count::integer as guest_count,
    budget_gbp::numeric(12, 2) as budget_gbp,
    (budget_gbp / nullif(base_price_gbp, 0))::double precision as budget_to_price_ratio,
    first_response_hours::double precision as first_response_hours,
    responded,
    extract(month from wedding_date)::integer as wedding_month,
    is_peak_season,
    is_saturday,
    outcome,
    case outcome when 'booked' then 1 when 'lost' then 0 end::integer as booked
from {{ ref('fct_enquiries') }}
where enquiry_date is not null
