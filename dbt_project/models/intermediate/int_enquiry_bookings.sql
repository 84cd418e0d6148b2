-- Each enquiry with the booking it led to and its outcome. Reused by fct_enquiries (and so
-- by every conversion mart and the ML features), so the outcome rule lives in one place:
--   booked: a booking came of it (even if later cancelled: the couple did book);
--   open:   no booking yet, and made within `open_enquiry_days` of the newest enquiry;
--   lost:   no booking, and older than that.
with enquiries as (
    select * from {{ ref('stg_enquiries') }}
),

bookings as (
    -- One booking per enquiry; should the platform ever export two, the latest counts.
    select distinct on (enquiry_id) *
    from {{ ref('stg_bookings') }}
    order by enquiry_id, booked_at desc nulls last, booking_id desc
),

newest as (
    select max(created_at) as newest_enquiry_at from enquiries
)

select
    enquiries.*,
    bookings.booking_id,
    bookings.status as booking_status,
    coalesce(bookings.is_cancelled, false) as is_cancelled,
    bookings.booked_at,
    bookings.cancelled_at,
    bookings.total_value_gbp as booking_value_gbp,
    case
        when bookings.booking_id is not null then 'booked'
        when enquiries.created_at
            >= newest.newest_enquiry_at - interval '{{ var("open_enquiry_days") }} days'
            then 'open'
        else 'lost'
    end as outcome,
    (bookings.booked_at::date - enquiries.created_at::date) as days_to_outcome
from enquiries
cross join newest
left join bookings on bookings.enquiry_id = enquiries.enquiry_id
