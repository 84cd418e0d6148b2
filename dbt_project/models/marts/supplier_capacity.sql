-- Each supplier's peak-season capacity, for planning dates and prices: how full its
-- peak-season Saturdays were last season and are so far for the next one, and which of the
-- next season's busiest Saturdays in its region (the ones most couples are asking about) and
-- of its bank-holiday weekends it still has room on. "Next season" is the peak season
-- (April-September) that has not ended by the as-of date; "last season" the one before it.
-- A date is open while its standing (not cancelled) bookings are fewer than the supplier's
-- weddings per date. Region demand ranks Saturdays only where at least
-- `benchmark_min_suppliers` suppliers were asked about them (`enough_suppliers`).
{{ config(indexes=[{'columns': ['supplier_id'], 'unique': true}]) }}

with as_of as (
    select {{ as_of_date() }} as as_of_date
),

seasons as (
    select
        as_of.as_of_date,
        make_date(
            extract(year from as_of.as_of_date)::integer
            + (extract(month from as_of.as_of_date) >= 10)::integer,
            4,
            1
        ) as next_season_start
    from as_of
),

season_saturdays as (
    select
        dates.date_day as saturday,
        case
            when dates.date_day >= seasons.next_season_start then 'next' else 'last'
        end as season
    from {{ ref('dim_date') }} as dates
    cross join seasons
    where dates.is_saturday
        and dates.is_peak_season
        and dates.date_day >= (seasons.next_season_start - interval '1 year')::date
        and dates.date_day < (seasons.next_season_start + interval '6 months')::date
),

suppliers as (
    select * from {{ ref('int_supplier_weddings_per_date') }}
),

-- Each supplier's peak-season Saturdays from the day it joined, with its standing bookings.
supplier_saturdays as (
    select
        suppliers.supplier_id,
        suppliers.region,
        suppliers.bank_holiday_scope,
        suppliers.weddings_per_date,
        season_saturdays.saturday,
        season_saturdays.season,
        coalesce(fill.standing_bookings, 0) as standing_bookings,
        coalesce(fill.standing_bookings, 0) < suppliers.weddings_per_date as is_open
    from suppliers
    inner join season_saturdays on season_saturdays.saturday >= suppliers.joined_at::date
    left join {{ ref('int_supplier_date_fill') }} as fill
        on fill.supplier_id = suppliers.supplier_id
        and fill.wedding_date = season_saturdays.saturday
),

region_demand as (
    select
        enquiries.region,
        enquiries.wedding_date as saturday,
        count(distinct enquiries.couple_id) as couples
    from {{ ref('fct_enquiries') }} as enquiries
    inner join season_saturdays
        on season_saturdays.saturday = enquiries.wedding_date
        and season_saturdays.season = 'next'
    group by enquiries.region, enquiries.wedding_date
    having {{ enough_suppliers('enquiries.supplier_id') }}
),

busiest as (
    select
        region,
        saturday,
        row_number() over (partition by region order by couples desc, saturday) as demand_rank
    from region_demand
),

ranked as (
    select
        supplier_saturdays.*,
        busiest.demand_rank,
        holidays.saturday is not null as is_bank_holiday_weekend
    from supplier_saturdays
    left join busiest
        on busiest.region = supplier_saturdays.region
        and busiest.saturday = supplier_saturdays.saturday
        and supplier_saturdays.season = 'next'
        and busiest.demand_rank <= {{ var('busiest_saturdays') }}
    left join {{ ref('int_bank_holiday_weekends') }} as holidays
        on holidays.bank_holiday_scope = supplier_saturdays.bank_holiday_scope
        and holidays.saturday = supplier_saturdays.saturday
),

per_supplier as (
    select
        supplier_id,
        count(*) filter (where season = 'last') as last_season_saturdays,
        coalesce(sum(standing_bookings) filter (where season = 'last'), 0)::bigint
            as last_season_saturday_bookings,
        count(*) filter (where season = 'next') as next_season_saturdays,
        coalesce(sum(standing_bookings) filter (where season = 'next'), 0)::bigint
            as next_season_saturday_bookings,
        count(*) filter (where season = 'next' and is_open) as next_season_open_saturdays,
        array_agg(saturday order by demand_rank) filter (where demand_rank is not null)
            as busiest_saturdays,
        array_agg(saturday order by demand_rank)
            filter (where demand_rank is not null and is_open) as open_busiest_saturdays,
        array_agg(saturday order by saturday)
            filter (where season = 'next' and is_bank_holiday_weekend and is_open)
            as open_bank_holiday_saturdays
    from ranked
    group by supplier_id
)

select
    suppliers.supplier_id,
    suppliers.vendor_type,
    suppliers.region,
    suppliers.weddings_per_date,
    seasons.as_of_date,
    (seasons.next_season_start - interval '1 year')::date as last_season_start,
    seasons.next_season_start,
    coalesce(per_supplier.last_season_saturdays, 0) as last_season_saturdays,
    coalesce(per_supplier.last_season_saturday_bookings, 0) as last_season_saturday_bookings,
    {{ rate(
        'per_supplier.last_season_saturday_bookings',
        'per_supplier.last_season_saturdays * suppliers.weddings_per_date'
    ) }} as last_season_fill_rate,
    coalesce(per_supplier.next_season_saturdays, 0) as next_season_saturdays,
    coalesce(per_supplier.next_season_saturday_bookings, 0) as next_season_saturday_bookings,
    {{ rate(
        'per_supplier.next_season_saturday_bookings',
        'per_supplier.next_season_saturdays * suppliers.weddings_per_date'
    ) }} as next_season_fill_rate,
    coalesce(per_supplier.next_season_open_saturdays, 0) as next_season_open_saturdays,
    coalesce(per_supplier.busiest_saturdays, '{}'::date []) as busiest_saturdays,
    coalesce(per_supplier.open_busiest_saturdays, '{}'::date []) as open_busiest_saturdays,
    coalesce(per_supplier.open_bank_holiday_saturdays, '{}'::date [])
        as open_bank_holiday_saturdays
from suppliers
cross join seasons
left join per_supplier on per_supplier.supplier_id = suppliers.supplier_id
