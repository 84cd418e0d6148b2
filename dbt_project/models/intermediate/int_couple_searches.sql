-- A couple's search for one vendor type (its enquiries with suppliers of the type in a
-- region, all for the same wedding): whether it booked, and the chance that it booked none
-- after meeting a full date: demand the market turned away. That chance is the chance at
-- least one of its enquiries met a full date (int_enquiry_room), 0 once the search booked.
select
    couple_id,
    vendor_type,
    region,
    wedding_month,
    count(*) as enquiries,
    bool_or(is_booked) as is_booked,
    round(
        case
            when bool_or(is_booked) then 0
            when bool_or(no_room_probability >= 1) then 1
            else 1 - exp(sum(ln(1 - no_room_probability)) filter (where no_room_probability < 1))
        end,
        4
    ) as unmet_probability
from {{ ref('int_enquiry_room') }}
group by couple_id, vendor_type, region, wedding_month
