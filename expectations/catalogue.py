"""The wedding data-quality rule catalogue: the one place listing every rule.

Each rule names its raw table, severity, the column whose value it reports, the defect type it
is meant to catch (as the simulator names it in `_truth/defects.parquet`), a description, and
its thresholds. It is checked by one Great Expectations expectation over a SQL query: the query
derives the value the expectation tests from raw text (see `expectations.sql`), so the same
rule reads the same way in GX Data Docs, in Dagster and here.

How a check result reads:
- passed: no row breaks the rule;
- failed, severity WARN: rows break it but no more than `max_unexpected_pct` of the table
  (default 5%) — the offending rows of an error rule are quarantined and the batch is usable;
- failed, severity ERROR (blocking downstream assets): an error rule broken by more rows than
  that — most likely a broken export, not a few bad rows.
Every offending row of an error rule is kept in `quality.quarantine`, in sync with the current
raw data (a re-run where the defect is gone removes its row), and staging models exclude those
rows, so marts never contain them; nothing is ever deleted from raw. Warn rules never quarantine
and never block. Every evaluation appends to `quality.check_results`. A rule that GX cannot
evaluate (an exception, a missing column) is a pipeline error: recorded with its error text,
nothing quarantined, and the Dagster step fails — it is never reported as dirty data.

A rule that needs a parsed value skips rows whose value another rule already rejects (the
capacity rule ignores a guest count of -4, which the range rule owns), so a malformed value is
flagged by the rule on its form only. Warn rules look at rows in context (the couple's other
enquiries, the night it was exported) and may flag a row another rule flags too.

Which rule catches which real-export defect, with what precision and false alarms on clean
rows, is measured by `expectations.messy_trial` on defects no rule was written against.
"""

from __future__ import annotations

from expectations import queries
from expectations.rule import Between, MatchesPattern, NotNull, Rule
from expectations.sql import (
    DECIMAL_PATTERN,
    INTEGER_PATTERN,
    ISO_TIMESTAMP_PATTERN,
    decimal_or_null,
    integer_or_null,
    iso_date_or_null,
    latest_rows,
    supplier_day_volume,
    utc_day_or_null,
)

GUEST_COUNT_RANGE = (1, 600)
LARGE_WEDDING_GUESTS = 300
BUDGET_RANGE_GBP = (1_000, 250_000)
BUDGET_YEAR_QUANTILE = 0.99
WEDDING_HORIZON_YEARS = 4
PAYMENT_GRACE_DAYS = 90
VOLUME_BASELINE_WEEKS = 8
VOLUME_MAX_DEVIATION_MADS = 5.0
#: The channels the export contract lists (dbt's staging tests accept the same ones).
ENQUIRY_CHANNELS = ("search", "featured_listing", "referral", "social", "wedding_fair")
#: A row made late in the day may ride in the next night's export; later than that is late.
EXPORT_MAX_LAG_DAYS = 1
NEAR_DUPLICATE_DAYS = 7
BURST_WINDOW_MINUTES = 30
BURST_MAX_ENQUIRIES = 6
#: Money is exported to the penny: payments may pass the booking's value by rounding only.
PAYMENT_TOLERANCE_GBP = 1.0
TEST_ACCOUNT_PATTERN = r"\m(test|testing|qa|asdf|qwerty)\M|@(wedsync|mailinator)\."


_ENQUIRIES = latest_rows("enquiries", "enquiry_id")
_BOOKINGS = latest_rows("bookings", "booking_id")
_PAYMENTS = latest_rows("payments", "payment_id")
_SUPPLIERS = latest_rows("suppliers", "supplier_id")
_COUPLES = latest_rows("couples", "couple_id")
_GUESTS = integer_or_null("guest_count")
_BUDGET = decimal_or_null("budget_gbp")
_WEDDING_DAY = iso_date_or_null("wedding_date")
_ENQUIRY_DAY = utc_day_or_null("created_at")
_BOOKING_DAY = utc_day_or_null("booked_at")
_GUESTS_IN_RANGE = (
    f"(case when {_GUESTS} between {GUEST_COUNT_RANGE[0]} and {GUEST_COUNT_RANGE[1]}"
    f" then {_GUESTS} end)"
)
# Each enquiry's well-formed, in-range guest count and, for venues, the venue's capacity.
_ENQUIRY_GUESTS = (
    f"(select e.enquiry_id, e.guest_count, {_GUESTS_IN_RANGE} as guests, s.capacity"
    f" from {_ENQUIRIES} e left join (select supplier_id, {integer_or_null('capacity')}"
    f" as capacity from {_SUPPLIERS} s where vendor_type = 'venue') s using (supplier_id))"
)
_BUDGET_IN_RANGE = (
    f"(case when {_BUDGET} between {BUDGET_RANGE_GBP[0]} and {BUDGET_RANGE_GBP[1]}"
    f" then {_BUDGET} end)"
)

ENQUIRY_RULES = (
    Rule(
        rule_id="enquiry_wedding_date_is_calendar_date",
        table="enquiries",
        severity="error",
        column="wedding_date",
        expectation=NotNull("wedding_day"),
        query=f"select enquiry_id, wedding_date, {_WEDDING_DAY} as wedding_day from {_ENQUIRIES} e",
        description="The wedding date is a real calendar day written YYYY-MM-DD (no 2027-02-30).",
        defect_type="invalid_wedding_date",
    ),
    Rule(
        rule_id="enquiry_wedding_date_not_before_enquiry",
        table="enquiries",
        severity="error",
        column="wedding_date",
        expectation=Between("days_from_enquiry_to_wedding", min_value=0),
        query=f"select enquiry_id, wedding_date, {_WEDDING_DAY} - {_ENQUIRY_DAY}"
        f" as days_from_enquiry_to_wedding from {_ENQUIRIES} e",
        description="A couple enquires about a wedding that has not happened yet.",
    ),
    Rule(
        rule_id="enquiry_wedding_date_within_horizon",
        table="enquiries",
        severity="error",
        column="wedding_date",
        expectation=Between("days_beyond_horizon", max_value=0),
        query=f"select enquiry_id, wedding_date, {_WEDDING_DAY}"
        f" - ({_ENQUIRY_DAY} + interval '{WEDDING_HORIZON_YEARS} years')::date"
        f" as days_beyond_horizon from {_ENQUIRIES} e",
        description=f"The wedding is at most {WEDDING_HORIZON_YEARS} years after the enquiry.",
        parameters={"horizon_years": WEDDING_HORIZON_YEARS},
    ),
    Rule(
        rule_id="enquiry_guest_count_is_whole_number",
        table="enquiries",
        severity="error",
        column="guest_count",
        expectation=MatchesPattern("guest_count", INTEGER_PATTERN),
        query=f"select enquiry_id, guest_count from {_ENQUIRIES} e",
        description=(
            "The guest count is a whole number (range rules only judge well-formed counts)."
        ),
    ),
    Rule(
        rule_id="enquiry_guest_count_in_range",
        table="enquiries",
        severity="error",
        column="guest_count",
        expectation=Between("guests", *GUEST_COUNT_RANGE),
        query=f"select enquiry_id, guest_count, {_GUESTS} as guests from {_ENQUIRIES} e",
        description="Between 1 and 600 guests: 0, negative or absurd counts are data errors.",
        defect_type="guest_count_out_of_range",
    ),
    Rule(
        rule_id="enquiry_guest_count_large_wedding",
        table="enquiries",
        severity="warn",
        column="guest_count",
        expectation=Between("plausible_guests", max_value=LARGE_WEDDING_GUESTS),
        query=f"select enquiry_id, guest_count, case when capacity is null or guests <= capacity"
        f" then guests end as plausible_guests from {_ENQUIRY_GUESTS} g",
        description=(
            "More than 300 guests is possible but rare: worth a look, never blocked (counts"
            " the range or capacity rules reject are theirs)."
        ),
        also_reads=("suppliers",),
    ),
    Rule(
        rule_id="enquiry_budget_is_amount",
        table="enquiries",
        severity="error",
        column="budget_gbp",
        expectation=MatchesPattern("budget_gbp", DECIMAL_PATTERN),
        query=f"select enquiry_id, budget_gbp from {_ENQUIRIES} e",
        description=(
            "The budget is a plain amount in pounds (range rules only judge well-formed amounts)."
        ),
    ),
    Rule(
        rule_id="enquiry_budget_in_range",
        table="enquiries",
        severity="error",
        column="budget_gbp",
        expectation=Between("budget", *BUDGET_RANGE_GBP),
        query=f"select enquiry_id, budget_gbp, {_BUDGET} as budget from {_ENQUIRIES} e",
        description="A wedding budget between £1,000 and £250,000.",
        defect_type="budget_out_of_range",
    ),
    Rule(
        rule_id="enquiry_budget_above_year_p99",
        table="enquiries",
        severity="warn",
        column="budget_gbp",
        expectation=Between("budget_over_year_p99", max_value=0),
        query=f"""with budgets as (
    select enquiry_id, budget_gbp, {_BUDGET_IN_RANGE} as budget,
           extract(year from {_ENQUIRY_DAY}) as enquiry_year
    from {_ENQUIRIES} e
), year_p99 as (
    select enquiry_year,
           percentile_cont({BUDGET_YEAR_QUANTILE}) within group (order by budget) as p99
    from budgets where budget is not null group by enquiry_year
)
select enquiry_id, budget_gbp, budget - p99 as budget_over_year_p99
from budgets left join year_p99 using (enquiry_year)""",
        description=(
            "A budget beyond the 99th percentile of budgets enquired that year: rare, not wrong."
        ),
        parameters={"quantile": BUDGET_YEAR_QUANTILE},
    ),
    Rule(
        rule_id="enquiry_guest_count_within_venue_capacity",
        table="enquiries",
        severity="error",
        column="guest_count",
        expectation=Between("guests_over_capacity", max_value=0),
        query=f"select enquiry_id, guest_count, guests - capacity as guests_over_capacity"
        f" from {_ENQUIRY_GUESTS} g",
        description="A venue enquiry's guest count fits the venue (raw.suppliers capacity).",
        defect_type="guest_count_over_capacity",
        also_reads=("suppliers",),
    ),
    Rule(
        rule_id="enquiry_not_duplicated",
        table="enquiries",
        severity="error",
        column="enquiry_id",
        expectation=Between("copy_number", max_value=1),
        query=f"select enquiry_id, case when supplier_id is not null and couple_id is not null"
        f" and wedding_date is not null then row_number() over ("
        f"partition by supplier_id, couple_id, wedding_date order by created_at, enquiry_id)"
        f" end as copy_number from {_ENQUIRIES} e",
        description="One enquiry per supplier, couple and wedding date: later copies are flagged.",
        defect_type="duplicate_enquiry",
    ),
    Rule(
        rule_id="enquiry_created_at_is_utc_timestamp",
        table="enquiries",
        severity="error",
        column="created_at",
        expectation=MatchesPattern("created_at", ISO_TIMESTAMP_PATTERN),
        query=f"select enquiry_id, created_at from {_ENQUIRIES} e",
        description=(
            "The enquiry time is ISO 8601 in UTC ('Z' or +00:00): a local time (+01:00 in"
            " summer) would be read as no time at all by the day rules."
        ),
    ),
    Rule(
        rule_id="enquiry_channel_is_known",
        table="enquiries",
        severity="error",
        column="channel",
        expectation=MatchesPattern("channel", f"^(?:{'|'.join(ENQUIRY_CHANNELS)})$"),
        query=f"select enquiry_id, channel from {_ENQUIRIES} e",
        description="The channel is one the export contract lists (a new one needs a release).",
        parameters={"channels": len(ENQUIRY_CHANNELS)},
    ),
    Rule(
        rule_id="enquiry_exported_on_its_day",
        table="enquiries",
        severity="warn",
        column="created_at",
        expectation=Between("export_lag_days", 0, EXPORT_MAX_LAG_DAYS),
        query=f"select enquiry_id, created_at, _export_date - {_ENQUIRY_DAY} as export_lag_days"
        f" from {_ENQUIRIES} e",
        description=(
            "An enquiry arrives in the export of the night it was made (or the next): never"
            " before it was made, never days late."
        ),
    ),
    Rule(
        rule_id="enquiry_exported_once",
        table="enquiries",
        severity="warn",
        column="enquiry_id",
        expectation=Between("export_nights", max_value=1),
        query="select enquiry_id, count(distinct _export_date) as export_nights"
        " from raw.enquiries group by enquiry_id",
        description="An enquiry is exported on one night only (a re-sent file repeats them).",
    ),
    Rule(
        rule_id="enquiry_near_duplicate",
        table="enquiries",
        severity="warn",
        column="couple_id",
        expectation=Between("has_earlier_copy", max_value=0),
        query=queries.near_duplicate_enquiries(max_days_apart=NEAR_DUPLICATE_DAYS),
        description=(
            f"No earlier enquiry to the same supplier from the same couple (or a couple with"
            f" the same first names) for a wedding within {NEAR_DUPLICATE_DAYS} days."
        ),
        also_reads=("couples",),
        parameters={"max_days_apart": NEAR_DUPLICATE_DAYS},
    ),
    Rule(
        rule_id="enquiry_wedding_date_matches_couple",
        table="enquiries",
        severity="warn",
        column="wedding_date",
        expectation=Between("off_couple_date", max_value=0),
        query=queries.wedding_date_off_couple(),
        description=(
            "A couple has one wedding date: an enquiry giving a date fewer of the couple's"
            " enquiries give than their most common one is worth a look."
        ),
    ),
    Rule(
        rule_id="enquiry_not_in_burst",
        table="enquiries",
        severity="warn",
        column="created_at",
        expectation=Between("enquiries_nearby", max_value=BURST_MAX_ENQUIRIES),
        query=queries.enquiry_bursts(window_minutes=BURST_WINDOW_MINUTES),
        description=(
            f"At most {BURST_MAX_ENQUIRIES} enquiries from one couple within"
            f" {BURST_WINDOW_MINUTES} minutes: more is a bot or a scraper."
        ),
        parameters={"window_minutes": BURST_WINDOW_MINUTES},
    ),
    Rule(
        rule_id="enquiry_not_from_test_account",
        table="enquiries",
        severity="error",
        column="couple_id",
        expectation=Between("test_account", max_value=0),
        query=f"select e.enquiry_id, e.couple_id, case when c.signs ~* '{TEST_ACCOUNT_PATTERN}'"
        f" then 1 else 0 end as test_account from {_ENQUIRIES} e left join"
        f" (select couple_id, concat_ws(' ', partner_one_name, partner_two_name, email) as signs"
        f" from {_COUPLES} c) c using (couple_id)",
        description=(
            "Enquiries from staff test accounts (test names, @wedsync e-mails) are not demand."
        ),
        also_reads=("couples",),
    ),
)

COUPLE_RULES = (
    Rule(
        rule_id="couple_not_test_account",
        table="couples",
        severity="error",
        column="email",
        expectation=Between("test_account", max_value=0),
        query=f"select couple_id, email, case when concat_ws(' ', partner_one_name,"
        f" partner_two_name, email) ~* '{TEST_ACCOUNT_PATTERN}' then 1 else 0 end"
        f" as test_account from {_COUPLES} c",
        description="A couple is a real couple, not a staff test account.",
    ),
)

SUPPLIER_RULES = (
    Rule(
        rule_id="supplier_capacity_is_whole_number",
        table="suppliers",
        severity="error",
        column="capacity",
        expectation=MatchesPattern("capacity", INTEGER_PATTERN),
        query=f"select supplier_id, capacity from {_SUPPLIERS} s",
        description=(
            "A venue's capacity is a whole number of guests (the capacity rule relies on it)."
        ),
    ),
)

BOOKING_RULES = (
    Rule(
        rule_id="booking_enquiry_exists",
        table="bookings",
        severity="error",
        column="enquiry_id",
        expectation=NotNull("known_enquiry_id"),
        query=f"select b.booking_id, b.enquiry_id, e.enquiry_id as known_enquiry_id"
        f" from {_BOOKINGS} b"
        " left join (select distinct enquiry_id from raw.enquiries) e using (enquiry_id)",
        description="Every booking comes from an enquiry WedSync exported.",
        also_reads=("enquiries",),
    ),
    Rule(
        rule_id="booking_supplier_exists",
        table="bookings",
        severity="error",
        column="supplier_id",
        expectation=NotNull("known_supplier_id"),
        query=f"select b.booking_id, b.supplier_id, s.supplier_id as known_supplier_id"
        f" from {_BOOKINGS} b"
        " left join (select distinct supplier_id from raw.suppliers) s using (supplier_id)",
        description="Every booking is with a supplier WedSync exported.",
        also_reads=("suppliers",),
    ),
    Rule(
        rule_id="booking_not_before_enquiry",
        table="bookings",
        severity="error",
        column="booked_at",
        expectation=Between("days_from_enquiry_to_booking", min_value=0),
        query=f"select b.booking_id, b.booked_at, {_BOOKING_DAY} - e.enquiry_day"
        f" as days_from_enquiry_to_booking from {_BOOKINGS} b left join"
        f" (select enquiry_id, {_ENQUIRY_DAY} as enquiry_day from {_ENQUIRIES} e) e"
        " using (enquiry_id)",
        description="A booking is made on or after the day of its enquiry.",
        also_reads=("enquiries",),
    ),
    Rule(
        rule_id="booking_not_after_wedding",
        table="bookings",
        severity="error",
        column="wedding_date",
        expectation=Between("days_from_booking_to_wedding", min_value=0),
        query=f"select booking_id, wedding_date, {_WEDDING_DAY} - {_BOOKING_DAY}"
        f" as days_from_booking_to_wedding from {_BOOKINGS} b",
        description="A booking is made on or before the wedding day it is for.",
        defect_type="booking_after_wedding",
    ),
    Rule(
        rule_id="booking_total_value_not_negative",
        table="bookings",
        severity="error",
        column="total_value_gbp",
        expectation=Between("total_value", min_value=0),
        query=f"select booking_id, total_value_gbp, {decimal_or_null('total_value_gbp')}"
        f" as total_value from {_BOOKINGS} b",
        description="A booking's total value is not negative.",
    ),
    Rule(
        rule_id="booking_deposit_not_negative",
        table="bookings",
        severity="error",
        column="deposit_gbp",
        expectation=Between("deposit", min_value=0),
        query=f"select booking_id, deposit_gbp, {decimal_or_null('deposit_gbp')} as deposit"
        f" from {_BOOKINGS} b",
        description="A booking's deposit is not negative.",
    ),
    Rule(
        rule_id="booking_deposit_within_total",
        table="bookings",
        severity="error",
        column="deposit_gbp",
        expectation=Between("deposit_over_total", max_value=0),
        query=f"select booking_id, deposit_gbp, {decimal_or_null('deposit_gbp')}"
        f" - {decimal_or_null('total_value_gbp')} as deposit_over_total from {_BOOKINGS} b",
        description="A booking's deposit is no more than its total value.",
    ),
    Rule(
        rule_id="booking_cancellation_not_overwritten",
        table="bookings",
        severity="warn",
        column="status",
        expectation=Between("cancellation_overwritten", max_value=0),
        query=f"select b.booking_id, b.status, case when b.status <> 'cancelled'"
        f" and c.booking_id is not null then 1 else 0 end as cancellation_overwritten"
        f" from {_BOOKINGS} b left join (select distinct booking_id from raw.bookings"
        f" where status = 'cancelled') c using (booking_id)",
        description=(
            "A booking exported as cancelled is not re-exported later as confirmed (a stale"
            " row exported out of order would un-cancel it in the marts)."
        ),
    ),
)

PAYMENT_RULES = (
    Rule(
        rule_id="payment_amount_not_negative",
        table="payments",
        severity="error",
        column="amount_gbp",
        expectation=Between("amount", min_value=0),
        query=f"select payment_id, amount_gbp, {decimal_or_null('amount_gbp')} as amount"
        f" from {_PAYMENTS} p",
        description="A payment's amount is not negative (refunds are not exported as payments).",
    ),
    Rule(
        rule_id="payment_within_grace_after_wedding",
        table="payments",
        severity="error",
        column="paid_at",
        expectation=Between("days_after_wedding", max_value=PAYMENT_GRACE_DAYS),
        query=f"select p.payment_id, p.paid_at, {utc_day_or_null('p.paid_at')} - b.wedding_day"
        f" as days_after_wedding from {_PAYMENTS} p left join"
        f" (select booking_id, {_WEDDING_DAY} as wedding_day from {_BOOKINGS} b"
        f" where {_WEDDING_DAY} >= {_BOOKING_DAY}) b using (booking_id)",
        description=(
            "A payment arrives no later than 90 days after the wedding (bookings whose dates"
            " are already rejected are skipped)."
        ),
        also_reads=("bookings",),
    ),
    Rule(
        rule_id="payment_within_booking_value",
        table="payments",
        severity="error",
        column="amount_gbp",
        expectation=Between("takes_payments_past_value", max_value=0),
        query=queries.payments_past_booking_value(tolerance_gbp=PAYMENT_TOLERANCE_GBP),
        description=(
            "A booking's payments add up to no more than its value: the payment that takes"
            " them past it (or is larger on its own) is flagged."
        ),
        also_reads=("bookings",),
        parameters={"tolerance_gbp": PAYMENT_TOLERANCE_GBP},
    ),
)

EVENT_RULES = (
    Rule(
        rule_id="event_id_not_duplicated",
        table="events",
        severity="error",
        column="event_id",
        expectation=Between("copy_number", max_value=1),
        query="select event_id::text as event_id, row_number() over ("
        "partition by supplier_id, event_id order by received_at, occurred_at) as copy_number"
        " from raw.events",
        description=(
            "An event id is stored once per supplier (the API's idempotency key, scoped to its"
            " supplier); every copy's id is quarantined."
        ),
        key="event_id",
    ),
    Rule(
        rule_id="supplier_daily_event_volume",
        table="events",
        severity="warn",
        column="events",
        expectation=Between("deviation_in_mads", max_value=VOLUME_MAX_DEVIATION_MADS),
        query=supplier_day_volume(weeks=VOLUME_BASELINE_WEEKS),
        description=(
            "A supplier's events per day stay within median ± k·MAD of the same weekday over"
            " recent weeks (season-aware); the offending suppliers are named."
        ),
        key="supplier_day",
        parameters={"baseline_weeks": VOLUME_BASELINE_WEEKS},
    ),
)

RULES: tuple[Rule, ...] = (
    *ENQUIRY_RULES,
    *COUPLE_RULES,
    *SUPPLIER_RULES,
    *BOOKING_RULES,
    *PAYMENT_RULES,
    *EVENT_RULES,
)

RULES_BY_ID: dict[str, Rule] = {rule.rule_id: rule for rule in RULES}


def rules_for_table(table: str) -> tuple[Rule, ...]:
    """The rules checked on `raw.<table>`, in catalogue order."""
    return tuple(rule for rule in RULES if rule.table == table)
