-- Per supplier and month of enquiry: the cohort of enquiries made that month and what came
-- of them (bookings, cancellations, revenue, the couples' ratings). Attributing everything to
-- the enquiry's month keeps conversion honest: a booking counts in the month it was won.
{{ config(indexes=[{'columns': ['supplier_id', 'month'], 'unique': true}]) }}

with enquiries as (
    select * from {{ ref('fct_enquiries') }}
    where enquiry_month is not null
),

booking_reviews as (
    select booking_id, sum(rating) as rating_total, count(rating) as reviews
    from {{ ref('stg_reviews') }}
    where rating is not null
    group by booking_id
),

monthly as (
    select
        enquiries.supplier_id,
        enquiries.enquiry_month as month,
        count(*) as enquiries,
        count(enquiries.booking_id) as bookings,
        count(*) filter (where enquiries.is_cancelled) as cancellations,
        percentile_cont(0.5) within group (order by enquiries.first_response_hours)
            as median_first_response_hours,
        coalesce(
            sum(enquiries.booking_value_gbp) filter (where not enquiries.is_cancelled), 0
        ) as revenue_gbp,
        sum(booking_reviews.rating_total) as rating_total,
        coalesce(sum(booking_reviews.reviews), 0) as reviews
    from enquiries
    left join booking_reviews on booking_reviews.booking_id = enquiries.booking_id
    group by enquiries.supplier_id, enquiries.enquiry_month
)

select
    monthly.supplier_id,
    monthly.month,
    suppliers.vendor_type,
    suppliers.region,
    suppliers.price_band,
    monthly.enquiries,
    monthly.bookings,
    monthly.cancellations,
    {{ rate('monthly.bookings', 'monthly.enquiries') }} as conversion_rate,
    {{ wilson_bound('monthly.bookings', 'monthly.enquiries', 'low') }} as conversion_ci_low,
    {{ wilson_bound('monthly.bookings', 'monthly.enquiries', 'high') }} as conversion_ci_high,
    round(monthly.median_first_response_hours::numeric, 2) as median_first_response_hours,
    monthly.revenue_gbp::numeric(14, 2) as revenue_gbp,
    round(monthly.rating_total::numeric / nullif(monthly.reviews, 0), 2) as avg_rating,
    monthly.reviews::bigint as reviews
from monthly
left join {{ ref('dim_suppliers') }} as suppliers on suppliers.supplier_id = monthly.supplier_id
