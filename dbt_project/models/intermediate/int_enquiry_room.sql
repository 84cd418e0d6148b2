-- Whether each dated enquiry found its supplier's date already full, as a probability.
--
-- A couple decides some days after enquiring (the booking lag), and a date that filled
-- before then had no room for them. The exports show when a date filled
-- (int_supplier_date_fill) but not when a couple that did not book decided, so the lag is
-- read from the couples that did book: the chance that an unbooked enquiry met a full date
-- is the share of booking lags longer than the time from the enquiry to the date filling
-- (1 when it was full before the enquiry, 0 when it never filled or the enquiry booked).
with enquiries as (
    select * from {{ ref('fct_enquiries') }}
    where wedding_date is not null and created_at is not null
),

lags as (
    select extract(epoch from booked_at - created_at) / 86400 as lag_days
    from enquiries
    where booked_at is not null and booked_at >= created_at
),

-- The share of booking lags longer than d days (measured at the middle of day d), up to
-- the longest lag seen; beyond it the share is 0.
longest as (
    select ceil(max(lag_days))::integer as lag_days from lags
),

lag_survival as (
    select
        days.day_number,
        avg((lags.lag_days > days.day_number + 0.5)::integer) as share_longer
    from longest
    cross join generate_series(0, longest.lag_days) as days (day_number)
    cross join lags
    group by days.day_number
),

placed as (
    select
        enquiries.enquiry_id,
        enquiries.supplier_id,
        enquiries.couple_id,
        enquiries.vendor_type,
        enquiries.region,
        enquiries.wedding_date,
        enquiries.wedding_month,
        enquiries.created_at,
        enquiries.booking_id is not null as is_booked,
        fill.filled_at as date_filled_at,
        floor(extract(epoch from fill.filled_at - enquiries.created_at) / 86400)::integer
            as days_until_full
    from enquiries
    left join {{ ref('int_supplier_date_fill') }} as fill
        on fill.supplier_id = enquiries.supplier_id
        and fill.wedding_date = enquiries.wedding_date
)

select
    placed.enquiry_id,
    placed.supplier_id,
    placed.couple_id,
    placed.vendor_type,
    placed.region,
    placed.wedding_date,
    placed.wedding_month,
    placed.created_at,
    placed.is_booked,
    placed.date_filled_at,
    round(
        case
            when placed.is_booked or placed.date_filled_at is null then 0
            when placed.date_filled_at <= placed.created_at then 1
            else coalesce(lag_survival.share_longer, 0)
        end::numeric,
        4
    ) as no_room_probability
from placed
left join lag_survival on lag_survival.day_number = placed.days_until_full
