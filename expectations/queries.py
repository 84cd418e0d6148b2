"""The longer rule queries (self-joins and windows over raw text), so the catalogue reads as a
list. Each returns one row per judged raw row: its key, the reported column and the value the
rule's expectation tests. Malformed values are NULL through `expectations.sql` and skipped."""

from __future__ import annotations

from expectations.sql import (
    decimal_or_null,
    iso_date_or_null,
    latest_rows,
    utc_timestamp_or_null,
)

_ENQUIRIES = latest_rows("enquiries", "enquiry_id")
_COUPLES = latest_rows("couples", "couple_id")
_BOOKINGS = latest_rows("bookings", "booking_id")
_PAYMENTS = latest_rows("payments", "payment_id")


def _first_name(column: str) -> str:
    """The first word of a name, lower case, letters only ('  OLIVIA  Smith' -> 'olivia')."""
    return f"lower(regexp_replace(split_part(btrim({column}), ' ', 1), '[^A-Za-z]', '', 'g'))"


def near_duplicate_enquiries(*, max_days_apart: int) -> str:
    """Enquiries with an earlier one to the same supplier from the same couple, or from a couple
    with the same two first names, for a wedding at most `max_days_apart` days away.

    Exact copies (same couple, same wedding day) are `enquiry_not_duplicated`'s and skipped.
    Surnames are left out of the name key because they are what people mistype most.
    """
    one, two = _first_name("partner_one_name"), _first_name("partner_two_name")
    pair_condition = f"""o.supplier_id = k.supplier_id and o.enquiry_id <> k.enquiry_id
        and abs(o.wedding_day - k.wedding_day) <= {max_days_apart}
        and not (o.couple_id = k.couple_id and o.wedding_day = k.wedding_day)
        and (o.created_at, o.enquiry_id) < (k.created_at, k.enquiry_id)"""
    return f"""with keyed as (
    select e.enquiry_id, e.supplier_id, e.couple_id, e.created_at,
           {iso_date_or_null("e.wedding_date")} as wedding_day,
           c.name_key
    from {_ENQUIRIES} e
    left join (select couple_id, least({one}, {two}) || '+' || greatest({one}, {two}) as name_key
               from {_COUPLES} c) c using (couple_id)
), copies as (
    select k.enquiry_id from keyed k join keyed o
        on o.supplier_id = k.supplier_id and o.couple_id = k.couple_id
    where {pair_condition}
    union
    select k.enquiry_id from keyed k join keyed o
        on o.supplier_id = k.supplier_id and o.name_key = k.name_key
    where {pair_condition}
)
select k.enquiry_id, k.couple_id,
       case when c.enquiry_id is null then 0 else 1 end as has_earlier_copy
from keyed k left join copies c using (enquiry_id)"""


def wedding_date_off_couple() -> str:
    """Enquiries whose wedding date is not the date most of the couple's enquiries give.

    A date shared by fewer of the couple's enquiries than its most common date is flagged;
    ties flag nothing (two enquiries, two dates: there is no telling which is right).
    """
    return f"""with dated as (
    select enquiry_id, couple_id, wedding_date,
           {iso_date_or_null("wedding_date")} as wedding_day
    from {_ENQUIRIES} e
), per_date as (
    select couple_id, wedding_day, count(*) as enquiries
    from dated where wedding_day is not null group by 1, 2
), most as (
    select couple_id, max(enquiries) as enquiries from per_date group by 1
)
select d.enquiry_id, d.wedding_date,
       case when p.enquiries < m.enquiries then 1 else 0 end as off_couple_date
from dated d
join per_date p using (couple_id, wedding_day)
join most m using (couple_id)"""


def enquiry_bursts(*, window_minutes: int) -> str:
    """Each enquiry with how many of its couple's enquiries were made within `window_minutes`
    either side of it (itself included)."""
    return f"""with timed as (
    select enquiry_id, couple_id, created_at,
           {utc_timestamp_or_null("created_at")} as created
    from {_ENQUIRIES} e
)
select t.enquiry_id, t.created_at, count(o.enquiry_id) as enquiries_nearby
from timed t
left join timed o
    on o.couple_id = t.couple_id
   and o.created between t.created - interval '{window_minutes} minutes'
                     and t.created + interval '{window_minutes} minutes'
where t.created is not null
group by t.enquiry_id, t.created_at"""


def payments_past_booking_value(*, tolerance_gbp: float) -> str:
    """Each payment, 1 when it is larger than its booking's value or is the one that takes the
    booking's payments (in order paid) past it by more than `tolerance_gbp`, else 0.

    Only the crossing payment is flagged: the clean balance after an overpaid deposit is not.
    """
    return f"""with paid as (
    select p.payment_id, p.amount_gbp, p.booking_id, p.paid_at,
           {decimal_or_null("p.amount_gbp")} as amount,
           {decimal_or_null("b.total_value_gbp")} as total
    from {_PAYMENTS} p join {_BOOKINGS} b using (booking_id)
), running as (
    select payment_id, amount_gbp, amount, total,
           sum(amount) over (partition by booking_id order by paid_at, payment_id) as paid_so_far
    from paid where amount is not null and total is not null
)
select payment_id, amount_gbp,
       case when amount > total + {tolerance_gbp}
              or (paid_so_far - amount <= total + {tolerance_gbp}
                  and paid_so_far > total + {tolerance_gbp})
            then 1 else 0 end as takes_payments_past_value
from running"""
