-- One row per enquiry: who, when, for which wedding, and what came of it.
with enquiries as (
    select * from {{ ref('int_enquiry_bookings') }}
),

suppliers as (
    select * from {{ ref('dim_suppliers') }}
)

select
    enquiries.enquiry_id,
    enquiries.supplier_id,
    enquiries.couple_id,
    enquiries.created_at,
    enquiries.created_at::date as enquiry_date,
    date_trunc('month', enquiries.created_at)::date as enquiry_month,
    date_trunc('quarter', enquiries.created_at)::date as enquiry_quarter,
    suppliers.vendor_type,
    suppliers.region,
    suppliers.price_band,
    suppliers.base_price_gbp,
    enquiries.channel,
    enquiries.wedding_date,
    date_trunc('month', enquiries.wedding_date)::date as wedding_month,
    (enquiries.wedding_date - enquiries.created_at::date) as lead_time_days,
    {{ wedding_season('enquiries.wedding_date') }} as wedding_season,
    {{ is_peak_season('enquiries.wedding_date') }} as is_peak_season,
    (extract(isodow from enquiries.wedding_date) = 6) as is_saturday,
    enquiries.guest_count,
    enquiries.budget_gbp,
    enquiries.first_response_at,
    round(
        (extract(epoch from enquiries.first_response_at - enquiries.created_at) / 3600)::numeric,
        2
    ) as first_response_hours,
    (enquiries.first_response_at is not null) as responded,
    enquiries.booking_id,
    enquiries.booking_status,
    enquiries.is_cancelled,
    enquiries.booked_at,
    enquiries.cancelled_at,
    enquiries.booking_value_gbp,
    enquiries.outcome,
    enquiries.days_to_outcome
from enquiries
left join suppliers on suppliers.supplier_id = enquiries.supplier_id
