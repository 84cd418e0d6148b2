-- How many weddings each supplier can serve on one date. The exports do not say: the vendor
-- type's usual number (seed vendor_weddings_per_date: a venue has one space, a florist runs
-- teams) unless the supplier has taken more bookings on one date than that, which shows it
-- can (a photographer with a second shooter). A cancelled booking counts: it held the date
-- while the other couples decided.
with bookings_per_date as (
    select supplier_id, wedding_date, count(*) as bookings
    from {{ ref('fct_bookings') }}
    where wedding_date is not null
    group by supplier_id, wedding_date
),

observed as (
    select supplier_id, max(bookings) as most_bookings_on_one_date
    from bookings_per_date
    group by supplier_id
)

select
    suppliers.supplier_id,
    suppliers.vendor_type,
    suppliers.region,
    suppliers.bank_holiday_scope,
    suppliers.joined_at,
    coalesce(observed.most_bookings_on_one_date, 0) as most_bookings_on_one_date,
    greatest(
        coalesce(usual.weddings_per_date, 1), coalesce(observed.most_bookings_on_one_date, 0)
    )::integer as weddings_per_date
from {{ ref('dim_suppliers') }} as suppliers
left join {{ ref('vendor_weddings_per_date') }} as usual
    on usual.vendor_type = suppliers.vendor_type
left join observed on observed.supplier_id = suppliers.supplier_id
