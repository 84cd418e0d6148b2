-- Per supplier and UTC day, from live events: profile views, enquiries, quotes, bookings,
-- cancellations, payments received and value booked. Incremental: each run re-aggregates
-- only the supplier-days that received events since the last run (with a lookback margin for
-- events committed late by long transactions), replacing those rows whole.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['supplier_id', 'day'],
        on_schema_change='append_new_columns',
        tags=['events'],
        indexes=[{'columns': ['supplier_id', 'day'], 'unique': true}, {'columns': ['last_received_at']}],
    )
}}

with events as (
    select * from {{ ref('stg_events') }}
),

{% if is_incremental() %}
affected_days as (
    select distinct supplier_id, occurred_on
    from events
    where received_at > (
        select coalesce(max(last_received_at), '-infinity'::timestamptz)
            - interval '{{ var("events_lookback_minutes") }} minutes'
        from {{ this }}
    )
),

events_to_aggregate as (
    select events.*
    from events
    join affected_days
        on affected_days.supplier_id = events.supplier_id
        -- A range on occurred_at (not occurred_on) lets Postgres use the events index.
        and events.occurred_at >= affected_days.occurred_on::timestamp at time zone 'UTC'
        and events.occurred_at < (affected_days.occurred_on + 1)::timestamp at time zone 'UTC'
),
{% else %}
events_to_aggregate as (
    select * from events
),
{% endif %}

daily as (
    select
        supplier_id,
        occurred_on as day,
        count(*) filter (where event_type = 'profile_view') as profile_views,
        count(*) filter (where event_type = 'enquiry_created') as enquiries,
        count(*) filter (where event_type = 'quote_sent') as quotes,
        count(*) filter (where event_type = 'booking_confirmed') as bookings,
        count(*) filter (where event_type = 'booking_cancelled') as cancellations,
        coalesce(sum(amount_gbp) filter (where event_type = 'payment_received'), 0) as revenue_gbp,
        coalesce(sum(booking_value_gbp) filter (where event_type = 'booking_confirmed'), 0)
            as booked_value_gbp,
        max(received_at) as last_received_at
    from events_to_aggregate
    group by supplier_id, occurred_on
)

select
    supplier_id,
    day,
    profile_views,
    enquiries,
    quotes,
    bookings,
    cancellations,
    revenue_gbp::numeric(14, 2) as revenue_gbp,
    booked_value_gbp::numeric(14, 2) as booked_value_gbp,
    last_received_at
from daily
