-- Demand against supply per wedding month, vendor type and region: where couples found
-- every date they asked for taken, and so where a new supplier would find unmet demand.
--   demand: enquiries and couples for weddings in the month;
--   supply: the suppliers on the platform by then, their Saturday places (weddings per
--           date x Saturdays) and how many of those standing bookings have taken;
--   gaps:   the expected enquiries that met a full date (int_enquiry_room), the couples
--           who then booked no supplier of the type (unmet demand), and the month's rank
--           by unmet demand within its market (1 = where a new supplier is needed most).
-- Bank-holiday weekends of the region's jurisdiction are counted, and their enquiries'
-- no-room share given apart. A market with fewer than `benchmark_min_suppliers` suppliers is
-- not published (`enough_suppliers`), nor ranked.
{{ config(indexes=[{'columns': ['wedding_month', 'vendor_type', 'region'], 'unique': true}]) }}

with enquiries as (
    select * from {{ ref('int_enquiry_room') }}
),

suppliers as (
    select * from {{ ref('int_supplier_weddings_per_date') }}
),

enquiry_span as (
    select min(wedding_month) as first_month, max(wedding_month) as last_month from enquiries
),

months as (
    select
        dates.month_start as wedding_month,
        count(*) filter (where dates.is_saturday) as saturdays
    from {{ ref('dim_date') }} as dates
    inner join enquiry_span
        on dates.month_start between enquiry_span.first_month and enquiry_span.last_month
    group by dates.month_start
),

holiday_saturdays as (
    select * from {{ ref('int_bank_holiday_weekends') }}
),

-- Each supplier in each wedding month from the one it joined in.
supplier_months as (
    select
        suppliers.supplier_id,
        suppliers.vendor_type,
        suppliers.region,
        suppliers.bank_holiday_scope,
        suppliers.weddings_per_date,
        months.wedding_month,
        months.saturdays
    from suppliers
    inner join months
        on suppliers.joined_at < months.wedding_month + interval '1 month'
),

saturday_fill as (
    select
        fill.supplier_id,
        date_trunc('month', fill.wedding_date)::date as wedding_month,
        sum(fill.standing_bookings) as saturday_bookings
    from {{ ref('int_supplier_date_fill') }} as fill
    where extract(isodow from fill.wedding_date) = 6
    group by fill.supplier_id, date_trunc('month', fill.wedding_date)
),

full_dates as (
    select
        supplier_id,
        date_trunc('month', wedding_date)::date as wedding_month,
        count(*) as full_dates
    from {{ ref('int_supplier_date_fill') }}
    where is_full
    group by supplier_id, date_trunc('month', wedding_date)
),

supplier_demand as (
    select
        enquiries.supplier_id,
        enquiries.wedding_month,
        count(*) as enquiries,
        count(*) filter (where enquiries.is_booked) as bookings,
        sum(enquiries.no_room_probability) as no_room_enquiries,
        count(holiday_saturdays.saturday) as holiday_weekend_enquiries,
        sum(enquiries.no_room_probability) filter (where holiday_saturdays.saturday is not null)
            as holiday_weekend_no_room_enquiries
    from enquiries
    inner join suppliers on suppliers.supplier_id = enquiries.supplier_id
    left join holiday_saturdays
        on holiday_saturdays.bank_holiday_scope = suppliers.bank_holiday_scope
        and holiday_saturdays.saturday = enquiries.wedding_date
    group by enquiries.supplier_id, enquiries.wedding_month
),

market_searches as (
    select
        vendor_type,
        region,
        wedding_month,
        count(*) as couples,
        sum(unmet_probability) as unmet_searches
    from {{ ref('int_couple_searches') }}
    group by vendor_type, region, wedding_month
),

markets as (
    select
        supplier_months.wedding_month,
        supplier_months.vendor_type,
        supplier_months.region,
        min(supplier_months.bank_holiday_scope) as bank_holiday_scope,
        count(*) as suppliers,
        sum(supplier_months.weddings_per_date * supplier_months.saturdays)::bigint
            as saturday_places,
        coalesce(sum(saturday_fill.saturday_bookings), 0)::bigint as saturday_bookings,
        coalesce(sum(full_dates.full_dates), 0)::bigint as full_supplier_dates,
        coalesce(sum(supplier_demand.enquiries), 0)::bigint as enquiries,
        coalesce(sum(supplier_demand.bookings), 0)::bigint as bookings,
        coalesce(sum(supplier_demand.no_room_enquiries), 0) as no_room_enquiries,
        coalesce(sum(supplier_demand.holiday_weekend_enquiries), 0)::bigint
            as holiday_weekend_enquiries,
        coalesce(sum(supplier_demand.holiday_weekend_no_room_enquiries), 0)
            as holiday_weekend_no_room_enquiries
    from supplier_months
    left join saturday_fill
        on saturday_fill.supplier_id = supplier_months.supplier_id
        and saturday_fill.wedding_month = supplier_months.wedding_month
    left join full_dates
        on full_dates.supplier_id = supplier_months.supplier_id
        and full_dates.wedding_month = supplier_months.wedding_month
    left join supplier_demand
        on supplier_demand.supplier_id = supplier_months.supplier_id
        and supplier_demand.wedding_month = supplier_months.wedding_month
    group by supplier_months.wedding_month, supplier_months.vendor_type, supplier_months.region
    having {{ enough_suppliers('supplier_months.supplier_id') }}
),

holiday_weekends as (
    select
        bank_holiday_scope,
        date_trunc('month', saturday)::date as wedding_month,
        count(*) as bank_holiday_weekends
    from holiday_saturdays
    group by bank_holiday_scope, date_trunc('month', saturday)
)

select
    markets.wedding_month,
    markets.vendor_type,
    markets.region,
    {{ is_peak_season('markets.wedding_month') }} as is_peak_season,
    coalesce(holiday_weekends.bank_holiday_weekends, 0)::integer as bank_holiday_weekends,
    markets.suppliers,
    markets.saturday_places,
    markets.saturday_bookings,
    markets.saturday_places - markets.saturday_bookings as free_saturday_places,
    {{ rate('markets.saturday_bookings', 'markets.saturday_places') }} as saturday_fill_rate,
    markets.full_supplier_dates,
    markets.enquiries,
    coalesce(market_searches.couples, 0) as couples,
    markets.bookings,
    round(markets.no_room_enquiries, 2) as no_room_enquiries,
    {{ rate('markets.no_room_enquiries', 'markets.enquiries') }} as no_room_share,
    round(coalesce(market_searches.unmet_searches, 0), 2) as unmet_couples,
    {{ rate('market_searches.unmet_searches', 'market_searches.couples') }} as unmet_share,
    rank() over (
        partition by markets.vendor_type, markets.region
        order by coalesce(market_searches.unmet_searches, 0) desc
    )::integer as unmet_rank,
    markets.holiday_weekend_enquiries,
    {{ rate('markets.holiday_weekend_no_room_enquiries', 'markets.holiday_weekend_enquiries') }}
        as holiday_weekend_no_room_share
from markets
left join market_searches
    on market_searches.vendor_type = markets.vendor_type
    and market_searches.region = markets.region
    and market_searches.wedding_month = markets.wedding_month
left join holiday_weekends
    on holiday_weekends.bank_holiday_scope = markets.bank_holiday_scope
    and holiday_weekends.wedding_month = markets.wedding_month
