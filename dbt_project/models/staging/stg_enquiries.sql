-- Enquiries, typed; malformed values become NULL with a flag, duplicates collapse to the
-- latest export, and enquiries a blocking quality rule quarantined are left out.
with source as (
    select *, {{ latest_export_rank('enquiry_id') }} as export_rank
    from {{ source('raw', 'enquiries') }}
    where enquiry_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('enquiries', 'enquiry_id') }}
)

select
    enquiry_id,
    supplier_id,
    couple_id,
    {{ try_cast('created_at', 'timestamptz') }} as created_at,
    {{ is_valid_cast('created_at', 'timestamptz') }} as created_at_is_valid,
    {{ try_cast('wedding_date', 'date') }} as wedding_date,
    {{ is_valid_cast('wedding_date', 'date') }} as wedding_date_is_valid,
    {{ try_cast('guest_count', 'integer') }} as guest_count,
    {{ is_valid_cast('guest_count', 'integer') }} as guest_count_is_valid,
    {{ to_gbp(try_cast('budget_gbp', 'numeric')) }} as budget_gbp,
    {{ is_valid_cast('budget_gbp', 'numeric') }} as budget_gbp_is_valid,
    channel,
    {{ try_cast('first_response_at', 'timestamptz') }} as first_response_at,
    {{ is_valid_cast('first_response_at', 'timestamptz') }} as first_response_at_is_valid,
    _export_date as exported_on
from latest
