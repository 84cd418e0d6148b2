-- Suppliers, typed; the latest export of each supplier wins.
with source as (
    select *, {{ latest_export_rank('supplier_id') }} as export_rank
    from {{ source('raw', 'suppliers') }}
    where supplier_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('suppliers', 'supplier_id') }}
)

select
    supplier_id,
    business_name,
    vendor_type,
    region,
    price_band,
    {{ to_gbp(try_cast('base_price_gbp', 'numeric')) }} as base_price_gbp,
    {{ is_valid_cast('base_price_gbp', 'numeric') }} as base_price_gbp_is_valid,
    {{ try_cast('capacity', 'integer') }} as capacity,
    {{ is_valid_cast('capacity', 'integer') }} as capacity_is_valid,
    {{ try_cast('joined_at', 'timestamptz') }} as joined_at,
    {{ is_valid_cast('joined_at', 'timestamptz') }} as joined_at_is_valid,
    _export_date as exported_on
from latest
