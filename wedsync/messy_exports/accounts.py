"""Mess that comes from people and programs: a couple asking twice (a few days apart, or after
signing up again with their names re-typed), staff test accounts, and bots."""

from __future__ import annotations

import pandas as pd

from wedsync.messy_exports.history import EXPORT_DATE
from wedsync.messy_exports.picker import Picker, format_timestamps, parse_timestamps

_SECONDS_PER_DAY = 86_400
_RETYPE_STYLES = ("case", "spacing", "surname typo", "first-name typo")
_TEST_NAMES = (("Test", "Couple"), ("Test", "Test"), ("QA", "Wedsync"), ("Asdf", "Testing"))


def _copies(picker: Picker, count: int, mask: pd.Series | None = None) -> pd.DataFrame:
    """Copies of free clean enquiries, re-sent 1 hour to 3 days later, with fresh ids.

    Only copies that still fall inside the history and before the wedding are kept.
    """
    enquiries = picker.history.frames["enquiries"]
    rows = picker.pick("enquiries", count, mask)
    copies = enquiries.loc[rows].copy()
    delay = picker.rng.integers(3_600, 3 * _SECONDS_PER_DAY, len(copies))
    created = parse_timestamps(copies["created_at"]) + pd.to_timedelta(delay, unit="s")
    wedding = pd.to_datetime(copies["wedding_date"], format="%Y-%m-%d", errors="coerce")
    copies["created_at"] = format_timestamps(created)
    copies["first_response_at"] = None
    copies[EXPORT_DATE] = created.dt.date
    keep = created.dt.date.isin(picker.nights()) & (created < wedding)
    copies = copies[keep.to_numpy()]
    copies["enquiry_id"] = picker.next_ids("enquiries", "enq_", len(copies))
    return copies


def near_duplicate_shifted_date(picker: Picker, count: int) -> None:
    """The couple asks the same supplier again with the wedding date 1-7 days off."""
    copies = _copies(picker, count)
    days = picker.rng.integers(1, 8, len(copies)) * picker.rng.choice([-1, 1], len(copies))
    wedding = pd.to_datetime(copies["wedding_date"], format="%Y-%m-%d") + pd.to_timedelta(
        days, unit="D"
    )
    copies["wedding_date"] = wedding.dt.strftime("%Y-%m-%d")
    copies = copies[(wedding > parse_timestamps(copies["created_at"])).to_numpy()]
    picker.append("enquiries", copies)
    picker.record("near_duplicate_shifted_date", "enquiries", copies["enquiry_id"])


def _retyped(name: str, style: int, partner: int) -> str:
    """A name as typed again: other case, doubled space, or two letters swapped."""
    first, _, surname = name.partition(" ")
    if style == 0:
        return name.upper() if partner == 0 else name.lower()
    if style == 1:
        return f"{first}  {surname}"
    word = surname if style == 2 else first
    if len(word) < 3:
        return name
    swapped = word[0] + word[2] + word[1] + word[3:]
    return f"{first} {swapped}" if style == 2 else f"{swapped} {surname}"


def near_duplicate_retyped_names(picker: Picker, count: int) -> None:
    """The couple signs up again (new id and e-mail, names re-typed) and re-sends an enquiry.

    Styles: 0 other case, 1 doubled space, 2 a typo in the surname, 3 a typo in a first name;
    the partners are listed the other way round in half of the copies.
    """
    copies = _copies(picker, count)
    couples = picker.history.frames["couples"].drop_duplicates("couple_id", keep="last")
    originals = couples.set_index("couple_id").loc[copies["couple_id"]]
    styles = picker.rng.integers(0, 4, len(copies))
    swap = picker.rng.random(len(copies)) < 0.5
    one = [
        _retyped(n, int(s), 0) for n, s in zip(originals["partner_one_name"], styles, strict=True)
    ]
    two = [
        _retyped(n, int(s), 1) for n, s in zip(originals["partner_two_name"], styles, strict=True)
    ]
    signed_up = parse_timestamps(copies["created_at"]) - pd.Timedelta(minutes=20)
    new_ids = picker.next_ids("couples", "cpl_", len(copies))
    new_couples = pd.DataFrame(
        {
            "couple_id": new_ids,
            "partner_one_name": [b if s else a for a, b, s in zip(one, two, swap, strict=True)],
            "partner_two_name": [a if s else b for a, b, s in zip(one, two, swap, strict=True)],
            "email": [f"{cid.replace('_', '')}@example.net" for cid in new_ids],
            "region": originals["region"].to_numpy(),
            "signed_up_at": format_timestamps(signed_up).to_numpy(),
            EXPORT_DATE: signed_up.dt.date.to_numpy(),
        }
    )
    copies["couple_id"] = new_ids
    picker.append("couples", new_couples)
    picker.append("enquiries", copies)
    detail = [_RETYPE_STYLES[style] for style in styles]
    picker.record("near_duplicate_retyped_names", "enquiries", copies["enquiry_id"], detail)
    picker.record("near_duplicate_retyped_names", "couples", new_ids, detail)


def _new_account(
    picker: Picker, names: tuple[str, str], email: str, enquiries: pd.DataFrame
) -> pd.DataFrame:
    """A couple row for `enquiries` (already numbered), signed up just before the first."""
    first = parse_timestamps(enquiries["created_at"]).min() - pd.Timedelta(minutes=30)
    couple_id = enquiries["couple_id"].iloc[0]
    return pd.DataFrame(
        {
            "couple_id": [couple_id],
            "partner_one_name": [names[0]],
            "partner_two_name": [names[1]],
            "email": [email],
            "region": ["london"],
            "signed_up_at": [first.strftime("%Y-%m-%dT%H:%M:%SZ")],
            EXPORT_DATE: [first.date()],
        }
    )


def test_account(picker: Picker, count: int) -> None:
    """Staff test couples, each sending 1-3 enquiries copied from real ones."""
    for number in range(max(3, count // 3)):
        copies = _copies(picker, int(picker.rng.integers(1, 4)))
        if copies.empty:
            continue
        couple_id = picker.next_ids("couples", "cpl_", 1)[0]
        copies["couple_id"] = couple_id
        first, second = _TEST_NAMES[number % len(_TEST_NAMES)]
        email = f"test+{number}@wedsync.com" if number % 2 else f"qa.{number}@wedsync.co.uk"
        couple = _new_account(picker, (f"{first} One", f"{second} Two"), email, copies)
        picker.append("couples", couple)
        picker.append("enquiries", copies)
        picker.record("test_account", "couples", [couple_id], email)
        picker.record("test_account", "enquiries", copies["enquiry_id"], email)


def bot_account(picker: Picker, count: int) -> None:
    """Plausible accounts firing 15-40 enquiries at different suppliers within 30 minutes."""
    suppliers = picker.history.frames["suppliers"].drop_duplicates("supplier_id")
    couples = picker.history.frames["couples"]
    for _ in range(max(2, count // 25)):
        template = _copies(picker, 1)
        if template.empty:
            continue
        burst = int(picker.rng.integers(15, 41))
        bursts = template.loc[template.index.repeat(burst)].reset_index(drop=True)
        offsets = pd.to_timedelta(picker.rng.integers(0, 1_800, burst), unit="s")
        created = parse_timestamps(bursts["created_at"]) + offsets
        bursts["created_at"] = format_timestamps(created)
        bursts[EXPORT_DATE] = created.dt.date
        bursts = bursts[bursts[EXPORT_DATE].isin(picker.nights()).to_numpy()]
        chosen = picker.rng.choice(len(suppliers), size=len(bursts), replace=False)
        bursts["supplier_id"] = suppliers["supplier_id"].to_numpy()[chosen]
        bursts["enquiry_id"] = picker.next_ids("enquiries", "enq_", len(bursts))
        couple_id = picker.next_ids("couples", "cpl_", 1)[0]
        bursts["couple_id"] = couple_id
        looks_real = couples.iloc[int(picker.rng.integers(len(couples)))]
        names = (looks_real["partner_one_name"], looks_real["partner_two_name"])
        email = f"{couple_id.replace('_', '')}@example.org"
        picker.append("couples", _new_account(picker, names, email, bursts))
        picker.append("enquiries", bursts)
        picker.record("bot_account", "enquiries", bursts["enquiry_id"], f"{len(bursts)} in 30 min")
        picker.record("bot_account", "couples", [couple_id], "account behind the burst")
