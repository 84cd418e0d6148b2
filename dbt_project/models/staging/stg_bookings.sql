-- Bookings, typed. A booking is exported when confirmed and again when cancelled: the
-- latest export carries its current status.
with source as (
    select *, {{ latest_export_rank('booking_id') }} as export_rank
    from {{ source('raw', 'bookings') }}
    where booking_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('bookings', 'booking_id') }}
)

select
    booking_id,
    enquiry_id,
    supplier_id,
    couple_id,
    status,
    (status = 'cancelled') as is_cancelled,
    {{ try_cast('booked_at', 'timestamptz') }} as booked_at,
    {{ is_valid_cast('booked_at', 'timestamptz') }} as booked_at_is_valid,
    {{ try_cast('cancelled_at', 'timestamptz') }} as cancelled_at,
    {{ is_valid_cast('cancelled_at', 'timestamptz') }} as cancelled_at_is_valid,
    {{ try_cast('wedding_date', 'date') }} as wedding_date,
    {{ is_valid_cast('wedding_date', 'date') }} as wedding_date_is_valid,
    {{ to_gbp(try_cast('total_value_gbp', 'numeric')) }} as total_value_gbp,
    {{ is_valid_cast('total_value_gbp', 'numeric') }} as total_value_gbp_is_valid,
    {{ to_gbp(try_cast('deposit_gbp', 'numeric')) }} as deposit_gbp,
    {{ is_valid_cast('deposit_gbp', 'numeric') }} as deposit_gbp_is_valid,
    _export_date as exported_on
from latest
