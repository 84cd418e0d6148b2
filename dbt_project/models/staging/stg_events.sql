-- Live events with the properties the marts use pulled out of the JSON. raw.events is
-- already typed and deduplicated by the API, so this only renames and extracts; properties
-- are cast safely because only known keys are type-checked on the way in.
select
    event_id,
    event_type,
    occurred_at,
    (occurred_at at time zone 'UTC')::date as occurred_on,
    supplier_id,
    couple_id,
    wedding_date,
    properties ->> 'enquiry_id' as enquiry_id,
    properties ->> 'booking_id' as booking_id,
    properties ->> 'payment_type' as payment_type,
    {{ to_gbp(try_cast("properties ->> 'amount_gbp'", 'numeric')) }} as amount_gbp,
    {{ to_gbp(try_cast("properties ->> 'value_gbp'", 'numeric')) }} as booking_value_gbp,
    received_at
from {{ source('raw', 'events') }}
