-- One row per standing booking with only what was known when it was booked - the supplier's
-- reviews posted before then, its price band, the wedding's lead time - and the review score
-- the couple gave later (null until they review). ml/review_score.py reads it.
with bookings as (
    select * from {{ ref('fct_bookings') }}
    where booked_at is not null and not is_cancelled
),

enquiries as (
    select enquiry_id, price_band, channel, guest_count, budget_gbp, base_price_gbp
    from {{ ref('fct_enquiries') }}
),

reviews as (
    select booking_id, supplier_id, posted_at, rating
    from {{ ref('stg_reviews') }}
    where rating is not null and posted_at is not null
),

own_reviews as (
    select distinct on (booking_id) booking_id, rating, posted_at
    from reviews
    order by booking_id, posted_at desc
),

-- The supplier's track record as the couple could see it when they booked.
past_reviews as (
    select
        bookings.booking_id,
        count(*) as supplier_past_reviews,
        avg(reviews.rating) as supplier_past_mean_rating,
        avg((reviews.rating >= 4)::integer) as supplier_past_share_4_plus
    from bookings
    inner join reviews
        on reviews.supplier_id = bookings.supplier_id
        and reviews.posted_at < bookings.booked_at
    group by bookings.booking_id
)

select
    bookings.booking_id,
    bookings.supplier_id,
    bookings.couple_id,
    bookings.booked_on,
    bookings.wedding_date,
    bookings.vendor_type,
    bookings.region,
    enquiries.price_band,
    enquiries.channel,
    (bookings.wedding_date - bookings.booked_on)::integer as lead_time_days,
    enquiries.guest_count::integer as guest_count,
    bookings.total_value_gbp::double precision as total_value_gbp,
    (enquiries.budget_gbp / nullif(enquiries.base_price_gbp, 0))::double precision
        as budget_to_price_ratio,
    coalesce(past_reviews.supplier_past_reviews, 0)::integer as supplier_past_reviews,
    past_reviews.supplier_past_mean_rating::double precision as supplier_past_mean_rating,
    past_reviews.supplier_past_share_4_plus::double precision as supplier_past_share_4_plus,
    own_reviews.rating::integer as rating,
    own_reviews.posted_at as reviewed_at
from bookings
left join enquiries on enquiries.enquiry_id = bookings.enquiry_id
left join past_reviews on past_reviews.booking_id = bookings.booking_id
left join own_reviews on own_reviews.booking_id = bookings.booking_id
