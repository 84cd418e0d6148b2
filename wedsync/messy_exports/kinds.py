"""The kinds of mess real nightly exports carry, and what a rule can and cannot see of each.

`level` says how a kind is scored: `row` kinds by the row keys a rule flags, `file` kinds by the
export files the loader refuses. `limits` is the plain reason a rule misses some or all of a
kind's rows; it is printed beside the measured recall, never instead of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["row", "file"]


@dataclass(frozen=True)
class MessyKind:
    """One kind of export defect the generator produces."""

    name: str
    table: str
    level: Level
    description: str
    limits: str = ""


KINDS: tuple[MessyKind, ...] = (
    MessyKind(
        "near_duplicate_shifted_date",
        "enquiries",
        "row",
        "The same couple asks the same supplier again, a few days' wedding date apart.",
    ),
    MessyKind(
        "near_duplicate_retyped_names",
        "enquiries",
        "row",
        "The couple signs up again (new id, names re-typed) and re-sends the same enquiry.",
        "a typo in a first name changes the couple's name key, so that copy looks like a"
        " different couple",
    ),
    MessyKind(
        "budget_in_pence",
        "enquiries",
        "row",
        "The budget is exported in pence (1800000.00 for £18,000).",
        "a budget under £2,500 is under £250,000 in pence too: a plausible budget",
    ),
    MessyKind(
        "budget_as_text",
        "enquiries",
        "row",
        "The budget as typed: '£20k', '20,000', '£18,500.00', '20000 GBP'.",
    ),
    MessyKind(
        "day_month_swap",
        "enquiries",
        "row",
        "The wedding date's day and month swapped (2027-06-12 becomes 2027-12-06).",
        "a swap with a day of 12 or less is a real date; only the couple's other enquiries"
        " (two or more, agreeing) give it away",
    ),
    MessyKind(
        "utc_bst_boundary_shift",
        "enquiries",
        "row",
        "A summer enquiry made 23:00-23:59 UTC written in UK local time (BST), either with"
        " '+01:00' or wrongly labelled 'Z', so its day moves past its export night.",
    ),
    MessyKind(
        "new_enum_value",
        "enquiries",
        "row",
        "A channel the contract does not list ('tiktok', 'Search', 'wedding fair').",
    ),
    MessyKind(
        "test_account",
        "couples",
        "row",
        "A QA or staff test couple (test+n@wedsync.com) and its enquiries.",
    ),
    MessyKind(
        "bot_account",
        "enquiries",
        "row",
        "A plausible-looking account sending 15-40 enquiries within half an hour.",
    ),
    MessyKind(
        "payment_above_booking_value",
        "payments",
        "row",
        "A payment larger than the whole booking it pays for.",
    ),
    MessyKind(
        "deposit_above_total",
        "bookings",
        "row",
        "A booking whose deposit is more than its total value.",
    ),
    MessyKind(
        "late_export",
        "enquiries",
        "row",
        "Enquiries exported 2-6 nights after the night they were made.",
    ),
    MessyKind(
        "out_of_order_export",
        "bookings",
        "row",
        "A stale 'confirmed' row of a cancelled booking exported after its cancellation.",
    ),
    MessyKind(
        "duplicated_file",
        "enquiries",
        "row",
        "A night's enquiries file sent again inside the next night's file.",
    ),
    MessyKind(
        "truncated_file",
        "payments",
        "file",
        "A night's file cut short in transfer (its last bytes missing).",
    ),
    MessyKind(
        "renamed_column",
        "payments",
        "file",
        "A night's file with a column renamed (amount_gbp -> amount).",
    ),
    MessyKind(
        "export_cut_between_rows",
        "enquiries",
        "row",
        "A night's export that stopped half-way: a well-formed file missing its later rows.",
        "the file is well-formed and every row in it is right; the missing rows are simply"
        " absent, and only a row count from the platform (a manifest) would show them",
    ),
)

KINDS_BY_NAME: dict[str, MessyKind] = {kind.name: kind for kind in KINDS}
