-- The couple's journey per vendor type and region, three ways (`dimension`):
--   budget:      by the couple's budget band, what they booked: the supplier's review score,
--                the share in the premium or luxury price bands, the booking's value;
--   guest_count: the same by guest-count band, for venues and caterers (whose choice the
--                guest list drives: room size, covers);
--   all:         every booking of the market, with the days from the couple's first enquiry
--                to it (bookings within `journey_horizon_days` of a first enquiry at least
--                that old, int_journey_bookings).
-- Each market's cells, and each vendor type's across every region (region 'all'): a region
-- rarely has 5 suppliers of a type booked in one band, the country usually has.
-- Every figure carries a 95% interval: Wilson for shares, the normal approximation for means.
-- A cell booked with fewer than `benchmark_min_suppliers` suppliers is not published
-- (`enough_suppliers`): a supplier could read a competitor's bookings from it.
{{ config(indexes=[{'columns': ['dimension', 'band', 'vendor_type', 'region'], 'unique': true}]) }}

with bookings as (
    select * from {{ ref('int_journey_bookings') }}
),

banded as (
    select
        'budget' as dimension,
        bookings.budget_band as band,
        bookings.budget_band_from as band_from,
        bookings.*
    from bookings
    where bookings.budget_band is not null
    union all
    select
        'guest_count' as dimension,
        bookings.guest_band as band,
        bookings.guest_band_from as band_from,
        bookings.*
    from bookings
    where bookings.guest_band is not null and bookings.vendor_type in ('venue', 'caterer')
    union all
    select
        'all' as dimension,
        'all' as band,
        null::integer as band_from,
        bookings.*
    from bookings
),

cells as (
    select
        dimension,
        band,
        band_from,
        vendor_type,
        coalesce(region, 'all') as region,
        count(distinct supplier_id) as suppliers,
        count(distinct couple_id) as couples,
        count(*) as bookings,
        count(review_score) as rated_bookings,
        round(avg(review_score), 2) as mean_review_score,
        {{ mean_bound('review_score', 'low') }} as review_score_ci_low,
        {{ mean_bound('review_score', 'high') }} as review_score_ci_high,
        count(*) filter (where is_upper_price_band) as upper_price_band_bookings,
        {{ rate('count(*) filter (where is_upper_price_band)', 'count(*)') }}
            as upper_price_band_share,
        {{ wilson_bound('count(*) filter (where is_upper_price_band)', 'count(*)', 'low') }}
            as upper_price_band_ci_low,
        {{ wilson_bound('count(*) filter (where is_upper_price_band)', 'count(*)', 'high') }}
            as upper_price_band_ci_high,
        round(avg(booking_value_gbp), 2) as mean_booking_value_gbp,
        {{ mean_bound('booking_value_gbp', 'low') }} as booking_value_ci_low_gbp,
        {{ mean_bound('booking_value_gbp', 'high') }} as booking_value_ci_high_gbp,
        {{ var('journey_horizon_days') }} as horizon_days,
        count(horizon_days_to_booking) as settled_bookings,
        round(avg(horizon_days_to_booking), 2) as mean_days_to_booking,
        {{ mean_bound('horizon_days_to_booking', 'low') }} as days_to_booking_ci_low,
        {{ mean_bound('horizon_days_to_booking', 'high') }} as days_to_booking_ci_high
    from banded
    group by grouping sets (
        (dimension, band, band_from, vendor_type, region),
        (dimension, band, band_from, vendor_type)
    )
    having {{ enough_suppliers() }}
)

select * from cells
