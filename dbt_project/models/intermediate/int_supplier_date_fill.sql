-- Each supplier-date that has bookings: how many, how many the supplier can take, and when
-- the date filled (the booking that took its last place). Bookings are counted in the order
-- they were confirmed; a cancelled one still counts (see int_supplier_weddings_per_date).
with bookings as (
    select
        supplier_id,
        wedding_date,
        booked_at,
        is_cancelled,
        row_number() over (
            partition by supplier_id, wedding_date order by booked_at, booking_id
        ) as place
    from {{ ref('fct_bookings') }}
    where wedding_date is not null and booked_at is not null
)

select
    bookings.supplier_id,
    bookings.wedding_date,
    count(*) as bookings,
    count(*) filter (where not bookings.is_cancelled) as standing_bookings,
    capacity.weddings_per_date,
    count(*) >= capacity.weddings_per_date as is_full,
    min(bookings.booked_at) filter (where bookings.place = capacity.weddings_per_date)
        as filled_at
from bookings
inner join {{ ref('int_supplier_weddings_per_date') }} as capacity
    on capacity.supplier_id = bookings.supplier_id
group by bookings.supplier_id, bookings.wedding_date, capacity.weddings_per_date
