-- What each couple did before, per vendor type, with nothing that names a supplier: one row
-- per enquiry the couple sent and per booking it made, with when it happened (and when a
-- booking was cancelled). `ml_booking_features` counts a couple's earlier events from here,
-- and the API counts a posted enquiry's the same way (ml/online_features.py
-- COUPLE_HISTORY_SQL), so training and serving read one source with one rule.
select
    couple_id,
    vendor_type,
    'enquiry'::text as event,
    created_at as happened_at,
    null::timestamptz as cancelled_at
from {{ ref('fct_enquiries') }}
where couple_id is not null and vendor_type is not null and created_at is not null

union all

select
    couple_id,
    vendor_type,
    'booking'::text as event,
    booked_at as happened_at,
    cancelled_at
from {{ ref('fct_bookings') }}
where couple_id is not null and vendor_type is not null and booked_at is not null
