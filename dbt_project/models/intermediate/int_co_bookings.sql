-- The co-booking graph: for every couple, every ordered pair of different suppliers it booked
-- (cancelled bookings too: the couple did book, and a referral is made at booking). A couple
-- that booked the same supplier twice counts its first booking. `is_followed` marks the
-- pairs where the partner was booked after the supplier, within `network_follow_days`: what
-- a referral looks like, since a referred couple books within weeks, while planning the rest
-- of a wedding spreads over a year or more.
with couple_bookings as (
    select
        couple_id,
        supplier_id,
        vendor_type,
        region,
        min(booked_at) as booked_at
    from {{ ref('fct_bookings') }}
    where couple_id is not null
    group by couple_id, supplier_id, vendor_type, region
)

select
    booked.couple_id,
    booked.supplier_id,
    booked.vendor_type,
    booked.region,
    booked.booked_at,
    partner.supplier_id as partner_id,
    partner.vendor_type as partner_vendor_type,
    partner.region as partner_region,
    partner.booked_at as partner_booked_at,
    partner.booked_at > booked.booked_at
    and partner.booked_at
    <= booked.booked_at + make_interval(days => {{ var('network_follow_days') }})
    as is_followed
from couple_bookings as booked
inner join couple_bookings as partner
    on
        partner.couple_id = booked.couple_id
        and partner.supplier_id <> booked.supplier_id
