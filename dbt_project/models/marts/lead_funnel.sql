-- Per supplier and month, from live events: profile views -> enquiries -> quotes -> bookings
-- and the conversion of each step. Incremental on supplier_daily_activity: only months with
-- a re-aggregated day are rebuilt, so a run costs what arrived, not the whole history.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['supplier_id', 'month'],
        on_schema_change='append_new_columns',
        tags=['events'],
        indexes=[{'columns': ['supplier_id', 'month'], 'unique': true}],
    )
}}

with days as (
    select * from {{ ref('supplier_daily_activity') }}
),

{% if is_incremental() %}
affected_months as (
    select distinct supplier_id, date_trunc('month', day)::date as month
    from days
    where last_received_at > (
        select coalesce(max(last_received_at), '-infinity'::timestamptz)
            - interval '{{ var("events_lookback_minutes") }} minutes'
        from {{ this }}
    )
),

days_to_aggregate as (
    select days.*
    from days
    join affected_months
        on affected_months.supplier_id = days.supplier_id
        and days.day >= affected_months.month
        and days.day < (affected_months.month + interval '1 month')::date
),
{% else %}
days_to_aggregate as (
    select * from days
),
{% endif %}

monthly as (
    select
        supplier_id,
        date_trunc('month', day)::date as month,
        sum(profile_views) as profile_views,
        sum(enquiries) as enquiries,
        sum(quotes) as quotes,
        sum(bookings) as bookings,
        max(last_received_at) as last_received_at
    from days_to_aggregate
    group by supplier_id, date_trunc('month', day)::date
)

select
    supplier_id,
    month,
    profile_views::bigint as profile_views,
    enquiries::bigint as enquiries,
    quotes::bigint as quotes,
    bookings::bigint as bookings,
    {{ rate('enquiries', 'profile_views') }} as view_to_enquiry_rate,
    {{ rate('quotes', 'enquiries') }} as enquiry_to_quote_rate,
    {{ rate('bookings', 'quotes') }} as quote_to_booking_rate,
    {{ rate('bookings', 'enquiries') }} as enquiry_to_booking_rate,
    last_received_at
from monthly
