-- Payments (deposits and balances), typed; the latest export of each payment wins.
with source as (
    select *, {{ latest_export_rank('payment_id') }} as export_rank
    from {{ source('raw', 'payments') }}
    where payment_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('payments', 'payment_id') }}
)

select
    payment_id,
    booking_id,
    supplier_id,
    {{ try_cast('paid_at', 'timestamptz') }} as paid_at,
    {{ is_valid_cast('paid_at', 'timestamptz') }} as paid_at_is_valid,
    payment_type,
    {{ to_gbp(try_cast('amount_gbp', 'numeric')) }} as amount_gbp,
    {{ is_valid_cast('amount_gbp', 'numeric') }} as amount_gbp_is_valid,
    _export_date as exported_on
from latest
