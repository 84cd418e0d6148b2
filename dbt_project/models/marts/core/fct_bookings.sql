-- One row per booking with what has been paid and what is still owed.
with bookings as (
    select * from {{ ref('stg_bookings') }}
),

payments as (
    select
        booking_id,
        coalesce(sum(amount_gbp) filter (where payment_type = 'deposit'), 0) as deposit_paid_gbp,
        coalesce(sum(amount_gbp) filter (where payment_type = 'balance'), 0) as balance_paid_gbp
    from {{ ref('stg_payments') }}
    group by booking_id
),

suppliers as (
    select * from {{ ref('dim_suppliers') }}
)

select
    bookings.booking_id,
    bookings.enquiry_id,
    bookings.supplier_id,
    bookings.couple_id,
    suppliers.vendor_type,
    suppliers.region,
    bookings.status,
    bookings.is_cancelled,
    bookings.booked_at,
    bookings.booked_at::date as booked_on,
    bookings.cancelled_at,
    bookings.wedding_date,
    date_trunc('month', bookings.wedding_date)::date as wedding_month,
    bookings.total_value_gbp,
    bookings.deposit_gbp,
    coalesce(payments.deposit_paid_gbp, 0) as deposit_paid_gbp,
    coalesce(payments.balance_paid_gbp, 0) as balance_paid_gbp,
    coalesce(payments.deposit_paid_gbp, 0) + coalesce(payments.balance_paid_gbp, 0) as paid_gbp,
    -- A cancelled booking owes nothing more; a standing one owes its value less what was paid.
    case
        when bookings.is_cancelled then 0
        else greatest(
            coalesce(bookings.deposit_gbp, 0) - coalesce(payments.deposit_paid_gbp, 0), 0
        )
    end as deposit_outstanding_gbp,
    case
        when bookings.is_cancelled then 0
        else greatest(
            coalesce(bookings.total_value_gbp, 0)
            - coalesce(payments.deposit_paid_gbp, 0)
            - coalesce(payments.balance_paid_gbp, 0)
            - greatest(
                coalesce(bookings.deposit_gbp, 0) - coalesce(payments.deposit_paid_gbp, 0), 0
            ),
            0
        )
    end as balance_outstanding_gbp
from bookings
left join payments on payments.booking_id = bookings.booking_id
left join suppliers on suppliers.supplier_id = bookings.supplier_id
