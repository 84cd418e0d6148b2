-- One row per supplier with the attributes every mart groups by.
select
    supplier_id,
    business_name,
    vendor_type,
    region,
    price_band,
    base_price_gbp,
    capacity,
    joined_at,
    -- Which bank-holiday calendar the supplier's region follows.
    case region
        when 'scotland' then 'scotland'
        when 'northern_ireland' then 'northern_ireland'
        else 'england_and_wales'
    end as bank_holiday_scope
from {{ ref('stg_suppliers') }}
