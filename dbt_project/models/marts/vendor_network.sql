-- Each supplier's network: the suppliers its couples also booked, and how strongly a booking
-- with it leads to a booking with each of them (referral strength), against chance.
--
-- For an ordered pair (supplier A, partner B): of A's couples, how many booked B within
-- `network_follow_days` after A (`followed_couples`), as a rate with its Wilson interval.
-- Chance is B's base rate in A's region: of the other bookings made there (couple x
-- supplier, any vendor type, A's and B's own left out), the share followed by a booking with
-- B within the same window. The lift is A's rate over that base rate; its interval is the
-- Wilson interval's, the base rate (from a whole region's bookings) taken as known.
--
-- A pair is a predicted referral pair when at least `referral_min_couples` (3) of A's couples
-- followed on to B and the lift's lower bound is at least `referral_min_lift` (2): three
-- couples keep one chance wedding from making a pair, and a lower bound of twice chance
-- keeps a popular partner, that many couples book anyway, from looking like a referral.
--
-- The base rate is a market figure (it counts the region's other suppliers' bookings), so a
-- region is published only when at least `benchmark_min_suppliers` suppliers booked there.
-- Row-level security shows a supplier the rows where it is A: its own partners.
{{ config(indexes=[{'columns': ['supplier_id', 'partner_id'], 'unique': true}]) }}

with co_bookings as (
    select * from {{ ref('int_co_bookings') }}
),

couple_bookings as (
    select distinct couple_id, supplier_id, region
    from {{ ref('fct_bookings') }}
    where couple_id is not null
),

supplier_couples as (
    select supplier_id, count(*) as couples
    from couple_bookings
    group by supplier_id
),

region_bookings as (
    select region, count(*) as bookings
    from couple_bookings
    group by region
    having {{ enough_suppliers() }}
),

-- Bookings in a region followed by the partner (A's own are taken out below).
region_follows as (
    select region, partner_id, count(*) as followed_bookings
    from co_bookings
    where is_followed
    group by region, partner_id
),

-- The partner's own bookings in the region, which cannot be followed by itself.
partner_region_bookings as (
    select region, supplier_id as partner_id, count(*) as bookings
    from couple_bookings
    group by region, supplier_id
),

pairs as (
    select
        supplier_id,
        vendor_type,
        region,
        partner_id,
        partner_vendor_type,
        partner_region,
        count(*) as co_booked_couples,
        count(*) filter (where is_followed) as followed_couples
    from co_bookings
    group by supplier_id, vendor_type, region, partner_id, partner_vendor_type, partner_region
),

rates as (
    select
        pairs.*,
        supplier_couples.couples,
        {{ rate('pairs.followed_couples', 'supplier_couples.couples') }} as follow_rate,
        {{ wilson_bound('pairs.followed_couples', 'supplier_couples.couples', 'low') }}
        as follow_rate_low,
        {{ wilson_bound('pairs.followed_couples', 'supplier_couples.couples', 'high') }}
        as follow_rate_high,
        round(
            (coalesce(region_follows.followed_bookings, 0) - pairs.followed_couples)::numeric
            / nullif(
                region_bookings.bookings
                - supplier_couples.couples
                - coalesce(partner_region_bookings.bookings, 0),
                0
            ),
            6
        ) as base_rate
    from pairs
    inner join supplier_couples on pairs.supplier_id = supplier_couples.supplier_id
    inner join region_bookings on pairs.region = region_bookings.region
    left join region_follows
        on
            pairs.region = region_follows.region
            and pairs.partner_id = region_follows.partner_id
    left join partner_region_bookings
        on
            pairs.region = partner_region_bookings.region
            and pairs.partner_id = partner_region_bookings.partner_id
),

lifts as (
    select
        rates.*,
        round(rates.follow_rate / nullif(rates.base_rate, 0), 2) as lift,
        round(rates.follow_rate_low / nullif(rates.base_rate, 0), 2) as lift_low,
        round(rates.follow_rate_high / nullif(rates.base_rate, 0), 2) as lift_high
    from rates
)

select
    lifts.supplier_id,
    lifts.vendor_type,
    lifts.region,
    lifts.partner_id,
    partners.business_name as partner_business_name,
    lifts.partner_vendor_type,
    lifts.partner_region,
    lifts.couples,
    lifts.co_booked_couples,
    lifts.followed_couples,
    lifts.follow_rate::numeric(6, 4) as follow_rate,
    lifts.follow_rate_low::numeric(6, 4) as follow_rate_low,
    lifts.follow_rate_high::numeric(6, 4) as follow_rate_high,
    lifts.base_rate::numeric(8, 6) as base_rate,
    lifts.lift::numeric(10, 2) as lift,
    lifts.lift_low::numeric(10, 2) as lift_low,
    lifts.lift_high::numeric(10, 2) as lift_high,
    coalesce(
        lifts.followed_couples >= {{ var('referral_min_couples') }}
        and lifts.lift_low >= {{ var('referral_min_lift') }},
        false
    ) as is_predicted_referral
from lifts
inner join {{ ref('dim_suppliers') }} as partners on lifts.partner_id = partners.supplier_id
