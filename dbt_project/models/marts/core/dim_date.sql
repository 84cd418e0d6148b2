-- One row per calendar day: UK wedding season, weekday/weekend and bank holidays per
-- jurisdiction, so marts and dashboards never recompute calendar logic.
with days as (
    select day::date as date_day
    from generate_series(
        date '{{ var("calendar_start") }}', date '{{ var("calendar_end") }}', interval '1 day'
    ) as day
),

holidays as (
    select
        holiday_date,
        bool_or(region_scope = 'england_and_wales') as in_england_wales,
        bool_or(region_scope = 'scotland') as in_scotland,
        bool_or(region_scope = 'northern_ireland') as in_northern_ireland,
        string_agg(distinct holiday_name, ' / ') as holiday_name
    from {{ ref('uk_bank_holidays') }}
    group by holiday_date
)

select
    days.date_day,
    extract(year from days.date_day)::integer as year,
    extract(quarter from days.date_day)::integer as quarter,
    extract(month from days.date_day)::integer as month,
    date_trunc('month', days.date_day)::date as month_start,
    date_trunc('quarter', days.date_day)::date as quarter_start,
    extract(isodow from days.date_day)::integer as iso_day_of_week,
    to_char(days.date_day, 'FMDay') as day_name,
    extract(isodow from days.date_day) in (6, 7) as is_weekend,
    extract(isodow from days.date_day) = 6 as is_saturday,
    {{ wedding_season('days.date_day') }} as wedding_season,
    {{ is_peak_season('days.date_day') }} as is_peak_season,
    coalesce(holidays.in_england_wales, false) as is_bank_holiday_england_wales,
    coalesce(holidays.in_scotland, false) as is_bank_holiday_scotland,
    coalesce(holidays.in_northern_ireland, false) as is_bank_holiday_northern_ireland,
    holidays.holiday_name as bank_holiday_name
from days
left join holidays on holidays.holiday_date = days.date_day
