"""SQL fragments that read raw text the way the quality rules need it, without ever failing.

Raw tables keep every value as received (see `wedsync.warehouse.schema`), so a rule cannot
cast a column blindly: one `2027-02-30` would abort the whole query, and the check would be a
pipeline error instead of one flagged row. Each fragment here turns a raw text column into a
typed value, or NULL when the text is malformed. Postgres only guarantees the evaluation order
of CASE branches (not of AND), so the guards are nested CASEs.

A rule that needs a parsed value reads it through these fragments and skips rows where it is
NULL: a malformed value belongs to the rule that checks its form, never to a second rule.
"""

from __future__ import annotations

# Groups are non-capturing: GX matches these with pandas `str.contains`, which warns about
# capturing groups, and Postgres `~` reads `(?:...)` alike.
INTEGER_PATTERN = r"^-?[0-9]{1,9}$"
DECIMAL_PATTERN = r"^-?[0-9]{1,12}(?:\.[0-9]{1,4})?$"
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ISO_TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-]00:?00)$"
)

TIME_OF_DAY_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"


def integer_or_null(column: str) -> str:
    """`column` as an integer when it is plain digits with an optional minus sign."""
    return f"(case when {column} ~ '{INTEGER_PATTERN}' then {column}::integer end)"


def decimal_or_null(column: str) -> str:
    """`column` as a double when it is a plain decimal (money carries 2 decimals).

    Double, not numeric: rules only compare amounts with limits such as £1,000 (exact in
    binary), the raw text is what gets reported, and GX compares floats column-wise where
    numerics would arrive in pandas as slow per-row Decimal objects.
    """
    return f"(case when {column} ~ '{DECIMAL_PATTERN}' then {column}::double precision end)"


def iso_date_or_null(column: str) -> str:
    """`column` as a date when it is `YYYY-MM-DD` AND a real calendar day (no 2027-02-30).

    The day is compared with the length of its month before any cast, so no value can make
    the query fail; year 0000 is rejected too because Postgres has no year zero.
    """
    year = f"substr({column}, 1, 4)::integer"
    month = f"substr({column}, 6, 2)::integer"
    day = f"substr({column}, 9, 2)::integer"
    month_length = (
        f"extract(day from make_date({year}, {month}, 1) + interval '1 month' - interval '1 day')"
    )
    return (
        f"(case when {column} ~ '{ISO_DATE_PATTERN}' then"
        f" case when {year} >= 1 and {month} between 1 and 12 then"
        f" case when {day} between 1 and {month_length} then {column}::date end end end)"
    )


def utc_day_or_null(column: str) -> str:
    """The UTC calendar day of an ISO 8601 UTC timestamp (`2026-05-01T12:00:00Z`), or NULL.

    Only the date part is parsed: every rule on timestamps compares days, and a malformed
    time of day must not turn into a failed query.
    """
    return (
        f"(case when {column} ~ '{ISO_TIMESTAMP_PATTERN}' then"
        f" {iso_date_or_null(f'substr({column}, 1, 10)')} end)"
    )


def utc_timestamp_or_null(column: str) -> str:
    """An ISO 8601 UTC timestamp as a `timestamp` (UTC, to the second), or NULL.

    The date is parsed as `iso_date_or_null` does and the time of day is matched before the
    cast, so `2026-05-01T25:61:00Z` is a NULL, not a failed query.
    """
    time_of_day = f"substr({column}, 12, 8)"
    return (
        f"(case when {column} ~ '{ISO_TIMESTAMP_PATTERN}' then"
        f" case when {time_of_day} ~ '{TIME_OF_DAY_PATTERN}' then"
        f" {iso_date_or_null(f'substr({column}, 1, 10)')} + {time_of_day}::time end end)"
    )


def latest_rows(table: str, key: str) -> str:
    """Rows of `raw.<table>` as staging sees them: the newest export of each key wins.

    Bookings are exported twice (confirmed, then cancelled); judging only the row that the
    marts will use keeps each key flagged at most once and never blames a superseded row.
    """
    return (
        f"(select distinct on ({key}) * from raw.{table}"
        f" order by {key}, _export_date desc, _line desc)"
    )


def supplier_day_volume(*, weeks: int) -> str:
    """Events per supplier per day of the last complete week in `raw.events`, with a baseline.

    The day of the newest event is still filling up, so the week judged ends the day before.

    The baseline of a day is the same weekday in each of the `weeks` weeks before it (zero
    when the supplier had no events that day), so weekly rhythm and the wedding season are
    both in it. Columns: supplier_day (the row key), supplier_id, activity_day, events,
    baseline_median, baseline_mad and deviation_in_mads = |events - median| / max(MAD, 1);
    the floor of one event keeps a quiet supplier with a constant baseline from being
    flagged for a single extra enquiry. No rows until `weeks` weeks of history exist.
    """
    history_days = 7 * (weeks + 1)
    return f"""
with bounds as (
    select (max(occurred_at) at time zone 'UTC')::date - 1 as last_day,
           (min(occurred_at) at time zone 'UTC')::date as first_day
    from raw.events
), daily as (
    select supplier_id, (occurred_at at time zone 'UTC')::date as activity_day,
           count(*) as events
    from raw.events
    where occurred_at >= (select (last_day - {history_days})::timestamp at time zone 'UTC'
                          from bounds)
    group by 1, 2
), evaluated_days as (
    select generate_series(last_day - 6, last_day, interval '1 day')::date as activity_day
    from bounds where first_day <= last_day - {7 * weeks}
), supplier_days as (
    select s.supplier_id, d.activity_day, coalesce(a.events, 0) as events
    from (select distinct supplier_id from daily) s
    cross join evaluated_days d
    left join daily a using (supplier_id, activity_day)
), baseline as (
    select sd.supplier_id, sd.activity_day, sd.events, coalesce(h.events, 0) as past_events
    from supplier_days sd
    cross join generate_series(1, {weeks}) as week
    left join daily h
        on h.supplier_id = sd.supplier_id and h.activity_day = sd.activity_day - 7 * week
), medians as (
    select supplier_id, activity_day, events,
           percentile_cont(0.5) within group (order by past_events) as baseline_median
    from baseline group by 1, 2, 3
), spreads as (
    select m.supplier_id, m.activity_day, m.events, m.baseline_median,
           percentile_cont(0.5) within group (order by abs(b.past_events - m.baseline_median))
               as baseline_mad
    from medians m join baseline b using (supplier_id, activity_day)
    group by 1, 2, 3, 4
)
select supplier_id || ' ' || activity_day as supplier_day, supplier_id, activity_day, events,
       baseline_median, baseline_mad,
       abs(events - baseline_median) / greatest(baseline_mad, 1) as deviation_in_mads
from spreads
"""
