-- Confirmed bookings whose wedding is within `alert_window_days` of the as-of date (the
-- `as_of` var, else today) and that still have money owed or details missing: the list a
-- supplier works through before the big day.
{{ config(indexes=[{'columns': ['supplier_id', 'wedding_date']}]) }}

with upcoming as (
    select
        bookings.*,
        (bookings.wedding_date - {{ as_of_date() }}) as days_left
    from {{ ref('fct_bookings') }} as bookings
    where bookings.status = 'confirmed'
      and bookings.wedding_date between {{ as_of_date() }}
          and {{ as_of_date() }} + {{ var('alert_window_days') }}
),

details as (
    select
        upcoming.booking_id,
        concat_ws(', ',
            case when enquiries.guest_count is null then 'guest_count' end,
            case when not coalesce(couples.has_email, false) then 'couple_email' end,
            case when not coalesce(couples.has_partner_names, false) then 'partner_names' end
        ) as missing_details
    from upcoming
    left join {{ ref('fct_enquiries') }} as enquiries
        on enquiries.enquiry_id = upcoming.enquiry_id
    left join {{ ref('stg_couples') }} as couples on couples.couple_id = upcoming.couple_id
)

select
    upcoming.booking_id,
    upcoming.supplier_id,
    upcoming.couple_id,
    upcoming.vendor_type,
    upcoming.region,
    upcoming.wedding_date,
    upcoming.days_left::integer as days_left,
    {{ as_of_date() }} as as_of_date,
    upcoming.total_value_gbp::numeric(14, 2) as total_value_gbp,
    upcoming.paid_gbp::numeric(14, 2) as paid_gbp,
    (upcoming.deposit_outstanding_gbp + upcoming.balance_outstanding_gbp)::numeric(14, 2)
        as outstanding_gbp,
    (upcoming.deposit_outstanding_gbp + upcoming.balance_outstanding_gbp > 0)
        as has_unpaid_balance,
    nullif(details.missing_details, '') as missing_details
from upcoming
inner join details on details.booking_id = upcoming.booking_id
where upcoming.deposit_outstanding_gbp + upcoming.balance_outstanding_gbp > 0
   or details.missing_details <> ''
