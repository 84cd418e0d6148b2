-- Each booking a couple made, with what their journey says about it: the budget and guest
-- count they enquired with, the booked supplier's price band and review score, and the days
-- from the couple's first enquiry (any vendor type) to this booking. Read by couple_journey
-- and by its truth check (ml.couple_journey_truth), so both band and settle alike.
--
-- Days to booking are right-censored: a couple who enquired last month and will book next
-- month shows no booking yet, so the recent couples' quick bookings would pull the mean
-- short, and planning runs for years (the longest gaps are most of the data's span). So the
-- days are measured over a fixed horizon (`journey_horizon_days`): bookings made within it
-- of the couple's first enquiry, for couples whose first enquiry is at least that old, all
-- of whose bookings in the horizon are therefore exported (`horizon_days_to_booking`).
with enquiries as (
    select * from {{ ref('fct_enquiries') }}
),

first_enquiries as (
    select couple_id, min(created_at) as first_enquiry_at
    from enquiries
    group by couple_id
),

review_scores as (
    select supplier_id, avg(rating)::numeric as review_score
    from {{ ref('stg_reviews') }}
    where rating is not null
    group by supplier_id
),

bookings as (
    select
        enquiries.*,
        first_enquiries.first_enquiry_at,
        extract(epoch from enquiries.booked_at - first_enquiries.first_enquiry_at)
        / 86400.0 as days_to_booking
    from enquiries
    inner join first_enquiries on enquiries.couple_id = first_enquiries.couple_id
    where enquiries.outcome = 'booked'
),

horizon as (
    select
        max(created_at) - interval '{{ var("journey_horizon_days") }} days' as settled_before
    from enquiries
)

select
    bookings.booking_id,
    bookings.enquiry_id,
    bookings.couple_id,
    bookings.supplier_id,
    bookings.vendor_type,
    bookings.region,
    bookings.price_band,
    bookings.price_band in ('premium', 'luxury') as is_upper_price_band,
    review_scores.review_score,
    bookings.booking_value_gbp,
    bookings.budget_gbp,
    {{ band_label('bookings.budget_gbp', var('journey_budget_bands')) }} as budget_band,
    {{ band_floor('bookings.budget_gbp', var('journey_budget_bands')) }} as budget_band_from,
    bookings.guest_count,
    {{ band_label('bookings.guest_count', var('journey_guest_bands')) }} as guest_band,
    {{ band_floor('bookings.guest_count', var('journey_guest_bands')) }} as guest_band_from,
    bookings.first_enquiry_at,
    bookings.booked_at,
    bookings.first_enquiry_at < horizon.settled_before as is_settled,
    round(bookings.days_to_booking::numeric, 2) as days_to_booking,
    case
        when bookings.first_enquiry_at < horizon.settled_before
            and bookings.days_to_booking <= {{ var("journey_horizon_days") }}
            then round(bookings.days_to_booking::numeric, 2)
    end as horizon_days_to_booking
from bookings
cross join horizon
left join review_scores on bookings.supplier_id = review_scores.supplier_id
