-- One row per payment, with the booking's supplier attributes and wedding date.
select
    payments.payment_id,
    payments.booking_id,
    payments.supplier_id,
    bookings.vendor_type,
    bookings.region,
    payments.paid_at,
    payments.paid_at::date as paid_on,
    date_trunc('month', payments.paid_at)::date as paid_month,
    payments.payment_type,
    payments.amount_gbp,
    bookings.wedding_date
from {{ ref('stg_payments') }} as payments
left join {{ ref('fct_bookings') }} as bookings on bookings.booking_id = payments.booking_id
