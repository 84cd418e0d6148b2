-- One row per enquiry with only what was known when the couple enquired (plus the first
-- response, which arrives within hours and only models scored after the reply may use), and
-- the outcome the booking models learn from. Column names and types are the contract
-- ml/features.py reads (docs/internals.md).
with enquiries as (
    select * from {{ ref('fct_enquiries') }}
    where enquiry_date is not null
),

climate as (
    select region, month, rain_days, mean_temp_c from {{ ref('uk_climate_normals') }}
),

bookings as (
    select supplier_id, wedding_date, booked_at, cancelled_at from {{ ref('fct_bookings') }}
),

-- The supplier's diary for the wedding date as it stood when the enquiry arrived: bookings
-- already made and not yet cancelled (a venue with one is full).
diary as (
    select enquiries.enquiry_id, count(*) as supplier_date_bookings
    from enquiries
    inner join bookings
        on bookings.supplier_id = enquiries.supplier_id
        and bookings.wedding_date = enquiries.wedding_date
        and bookings.booked_at < enquiries.created_at
        and (bookings.cancelled_at is null or bookings.cancelled_at > enquiries.created_at)
    group by enquiries.enquiry_id
),

-- The couple's own earlier steps for this vendor type, strictly before this enquiry: how many
-- suppliers of the type it had already asked, and whether it already held a booking of the
-- type (a couple books at most one supplier per vendor type). The API reads the same table
-- with the same rule (ml/online_features.py COUPLE_HISTORY_SQL).
couple_history as (
    select
        enquiries.enquiry_id,
        count(*) filter (where history.event = 'enquiry') as couple_prior_enquiries,
        count(*) filter (
            where history.event = 'booking'
            and (history.cancelled_at is null or history.cancelled_at > enquiries.created_at)
        ) > 0 as couple_booked_vendor_type
    from enquiries
    inner join {{ ref('ml_couple_history') }} as history
        on history.couple_id = enquiries.couple_id
        and history.vendor_type = enquiries.vendor_type
        and history.happened_at < enquiries.created_at
    group by enquiries.enquiry_id
)

select
    enquiries.enquiry_id,
    enquiries.supplier_id,
    enquiries.couple_id,
    enquiries.enquiry_date,
    enquiries.vendor_type,
    enquiries.region,
    enquiries.price_band,
    enquiries.channel,
    enquiries.lead_time_days::integer as lead_time_days,
    enquiries.guest_count::integer as guest_count,
    enquiries.budget_gbp::numeric(12, 2) as budget_gbp,
    (enquiries.budget_gbp / nullif(enquiries.base_price_gbp, 0))::double precision
        as budget_to_price_ratio,
    enquiries.first_response_hours::double precision as first_response_hours,
    enquiries.responded,
    extract(month from enquiries.wedding_date)::integer as wedding_month,
    enquiries.is_peak_season,
    enquiries.is_saturday,
    climate.rain_days::double precision as wedding_month_rain_days,
    climate.mean_temp_c::double precision as wedding_month_mean_temp_c,
    coalesce(diary.supplier_date_bookings, 0)::integer as supplier_date_bookings,
    coalesce(couple_history.couple_prior_enquiries, 0)::integer as couple_prior_enquiries,
    coalesce(couple_history.couple_booked_vendor_type, false) as couple_booked_vendor_type,
    enquiries.outcome,
    case enquiries.outcome when 'booked' then 1 when 'lost' then 0 end::integer as booked,
    case
        when enquiries.outcome = 'booked' then enquiries.days_to_outcome
    end::integer as days_to_booking
from enquiries
left join climate
    on climate.region = enquiries.region
    and climate.month = extract(month from enquiries.wedding_date)::integer
left join diary on diary.enquiry_id = enquiries.enquiry_id
left join couple_history on couple_history.enquiry_id = enquiries.enquiry_id
