-- Demand by the month couples enquire, per vendor type and region: volume, conversion,
-- average booking value, change against the same month a year earlier, and which share of
-- the month's enquiries are for peak-season (April-September) weddings. A market with fewer
-- than `benchmark_min_suppliers` suppliers is not published, this year nor as a prior year.
{{ config(indexes=[{'columns': ['month', 'vendor_type', 'region'], 'unique': true}]) }}

with monthly as (
    select
        enquiry_month as month,
        vendor_type,
        region,
        count(*) as enquiries,
        count(booking_id) as bookings,
        avg(booking_value_gbp) filter (where not is_cancelled) as avg_booking_value_gbp,
        count(*) filter (where is_peak_season) as peak_season_enquiries,
        count(wedding_date) as dated_enquiries
    from {{ ref('fct_enquiries') }}
    where enquiry_month is not null
    group by enquiry_month, vendor_type, region
    having {{ enough_suppliers() }}
)

select
    this_year.month,
    this_year.vendor_type,
    this_year.region,
    this_year.enquiries,
    this_year.bookings,
    {{ rate('this_year.bookings', 'this_year.enquiries') }} as conversion_rate,
    round(this_year.avg_booking_value_gbp, 2) as avg_booking_value_gbp,
    prior_year.enquiries as enquiries_prior_year,
    round(this_year.enquiries::numeric / nullif(prior_year.enquiries, 0) - 1, 4)
        as enquiries_yoy_change,
    prior_year.bookings as bookings_prior_year,
    round(this_year.bookings::numeric / nullif(prior_year.bookings, 0) - 1, 4)
        as bookings_yoy_change,
    {{ rate('this_year.peak_season_enquiries', 'this_year.dated_enquiries') }}
        as peak_season_share
from monthly as this_year
left join monthly as prior_year
    on prior_year.month = (this_year.month - interval '1 year')::date
    and prior_year.vendor_type is not distinct from this_year.vendor_type
    and prior_year.region is not distinct from this_year.region
