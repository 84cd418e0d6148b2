"""Each messy-export kind is produced as described and listed in the truth, on rows nobody
damaged before; the damage is visible in the written files, the way the loader reads them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.messy_exports.conftest import INJECTED, summer_history
from wedsync.exports import export_dates, export_file
from wedsync.messy_exports import KINDS, ExportHistory, generate_messy_exports
from wedsync.warehouse.loader import read_export

Messy = tuple[ExportHistory, pd.DataFrame, Path]


def _keys(truth: pd.DataFrame, kind: str, table: str) -> list[str]:
    return list(truth.loc[(truth["kind"] == kind) & (truth["table_name"] == table), "row_key"])


def _written(landing: Path, entity: str) -> pd.DataFrame:
    """Every messy file of `entity` as the loader reads it, with its night."""
    parts = []
    for night in export_dates(landing):
        path = export_file(landing, night, entity)
        if path is None:
            continue
        try:
            columns, rows = read_export(path)
        except Exception:  # the truncated file: its own test reads it
            continue
        parts.append(pd.DataFrame(rows, columns=columns).assign(night=night))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def enquiries(messy: Messy) -> pd.DataFrame:
    return _written(messy[2], "enquiries").drop_duplicates("enquiry_id", keep="last")


@pytest.fixture(scope="module")
def clean() -> ExportHistory:
    return summer_history()


def _clean_enquiry(clean: ExportHistory, ids: list[str]) -> pd.DataFrame:
    return clean.frames["enquiries"].set_index("enquiry_id").loc[ids]


def test_every_kind_is_in_the_truth_and_rows_are_damaged_once(messy: Messy) -> None:
    truth = messy[1]
    assert set(truth["kind"]) == {kind.name for kind in KINDS}
    rows = truth[truth["row_key"].notna()]
    assert not rows.duplicated(["table_name", "row_key"]).any()
    assert not set(zip(rows["table_name"], rows["row_key"], strict=True)) & INJECTED


def test_only_touched_nights_are_written(messy: Messy, clean: ExportHistory) -> None:
    history, _, landing = messy
    written = {
        (path.stem, dt.date.fromisoformat(path.parent.name))
        for path in (landing / "exports").glob("*/*.parquet")
    }
    assert written == history.touched
    assert len(written) < len(clean.dates) * 5


def test_same_seed_same_damage(messy: Messy, tmp_path: Path) -> None:
    again = generate_messy_exports(summer_history(), INJECTED, tmp_path / "again", seed=5)
    pd.testing.assert_frame_equal(again, messy[1])


def test_budgets_in_pence_are_a_hundred_times_the_budget(messy, enquiries, clean) -> None:
    ids = _keys(messy[1], "budget_in_pence", "enquiries")
    written = enquiries.set_index("enquiry_id").loc[ids, "budget_gbp"].astype(float)
    original = _clean_enquiry(clean, ids)["budget_gbp"].astype(float)
    assert (written.to_numpy() == 100 * original.to_numpy()).all()


def test_budgets_as_text_are_not_plain_amounts(messy, enquiries) -> None:
    ids = _keys(messy[1], "budget_as_text", "enquiries")
    written = enquiries.set_index("enquiry_id").loc[ids, "budget_gbp"]
    assert not written.str.fullmatch(r"-?\d+(\.\d+)?").any()
    assert written.str.contains(r"£|,|k|GBP").all()


def test_day_and_month_are_swapped(messy, enquiries, clean) -> None:
    ids = _keys(messy[1], "day_month_swap", "enquiries")
    written = enquiries.set_index("enquiry_id").loc[ids, "wedding_date"]
    original = _clean_enquiry(clean, ids)["wedding_date"]
    swapped = original.str[:5] + original.str[8:10] + "-" + original.str[5:7]
    assert (written.to_numpy() == swapped.to_numpy()).all()


def test_bst_shift_moves_a_late_evening_past_midnight(messy, enquiries) -> None:
    ids = _keys(messy[1], "utc_bst_boundary_shift", "enquiries")
    written = enquiries.set_index("enquiry_id").loc[ids]
    assert written["created_at"].str.contains(r"T00:\d\d:\d\d(?:\+01:00|Z)$").all()
    day = pd.to_datetime(written["created_at"].str[:10]).dt.date
    assert (day > written["night"]).all()


def test_new_channels_are_outside_the_contract(messy, enquiries) -> None:
    ids = _keys(messy[1], "new_enum_value", "enquiries")
    channels = set(enquiries.set_index("enquiry_id").loc[ids, "channel"])
    assert channels and not channels & {"search", "featured_listing", "referral", "social"}


def test_near_duplicates_repeat_a_couples_enquiry(messy, enquiries, clean) -> None:
    truth = messy[1]
    history = clean.frames["enquiries"]
    for kind, same_couple in (
        ("near_duplicate_shifted_date", True),
        ("near_duplicate_retyped_names", False),
    ):
        copies = enquiries.set_index("enquiry_id").loc[_keys(truth, kind, "enquiries")]
        assert not copies.index.isin(history["enquiry_id"]).any()
        for copy in copies.itertuples():
            earlier = history[history["supplier_id"] == copy.supplier_id]
            if same_couple:
                earlier = earlier[earlier["couple_id"] == copy.couple_id]
                gap = (
                    pd.to_datetime(earlier["wedding_date"]) - pd.Timestamp(copy.wedding_date)
                ).abs()
                assert gap.between(pd.Timedelta(days=1), pd.Timedelta(days=7)).any()
            else:
                assert copy.wedding_date in set(earlier["wedding_date"])


def _letters(couples: pd.DataFrame) -> pd.Series:
    """Both partners' letters, lower case and sorted: what re-typing (case, spaces, a swap of
    two letters, the partners' order) leaves unchanged."""
    names = (couples["partner_one_name"] + couples["partner_two_name"]).str.lower()
    return names.map(lambda name: "".join(sorted(name.replace(" ", ""))))


def test_retyped_couples_are_new_accounts_with_the_same_letters(messy, clean) -> None:
    history, truth, _ = messy
    keys = _keys(truth, "near_duplicate_retyped_names", "couples")
    assert not set(keys) & set(clean.frames["couples"]["couple_id"])
    retyped = history.frames["couples"].set_index("couple_id").loc[keys]
    assert _letters(retyped).isin(set(_letters(clean.frames["couples"]))).all()
    originals = set(clean.frames["couples"]["partner_one_name"])
    assert not retyped["partner_one_name"].isin(originals).all()


def test_test_and_bot_accounts(messy, enquiries) -> None:
    history, truth, _ = messy
    couples = history.frames["couples"].set_index("couple_id")
    test_couples = _keys(truth, "test_account", "couples")
    assert couples.loc[test_couples, "email"].str.contains("wedsync").all()
    bots = enquiries.set_index("enquiry_id").loc[_keys(truth, "bot_account", "enquiries")]
    created = pd.to_datetime(bots["created_at"].str[:19])
    spans = created.groupby(bots["couple_id"]).agg(lambda moments: moments.max() - moments.min())
    assert (bots.groupby("couple_id").size() >= 10).all()
    assert (spans <= pd.Timedelta(minutes=30)).all()


def test_money_above_the_booking(messy, clean) -> None:
    _, truth, landing = messy
    totals = clean.frames["bookings"].drop_duplicates("booking_id").set_index("booking_id")
    payments = _written(landing, "payments").set_index("payment_id")
    paid = payments.loc[_keys(truth, "payment_above_booking_value", "payments")]
    assert (
        paid["amount_gbp"].astype(float).to_numpy()
        > totals.loc[paid["booking_id"], "total_value_gbp"].astype(float).to_numpy()
    ).all()
    bookings = _written(landing, "bookings").set_index("booking_id")
    deposit = bookings.loc[_keys(truth, "deposit_above_total", "bookings")]
    assert (deposit["deposit_gbp"].astype(float) > deposit["total_value_gbp"].astype(float)).all()


def test_late_and_out_of_order_exports(messy, enquiries) -> None:
    history, truth, _ = messy
    late = enquiries.set_index("enquiry_id").loc[_keys(truth, "late_export", "enquiries")]
    made = pd.to_datetime(late["created_at"].str[:10]).dt.date
    assert ((late["night"] - made).map(lambda lag: lag.days) >= 2).all()
    bookings = history.frames["bookings"]
    for booking in _keys(truth, "out_of_order_export", "bookings"):
        rows = bookings[bookings["booking_id"] == booking].sort_values("_export_date")
        assert list(rows["status"])[-2:] == ["cancelled", "confirmed"]


def test_file_level_kinds(messy) -> None:
    _, truth, landing = messy
    files = truth[truth["row_key"].isna()].set_index("kind")
    truncated = export_file(
        landing, dt.date.fromisoformat(files.loc["truncated_file", "export_date"]), "payments"
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever pyarrow raises on a cut file
        read_export(truncated)
    renamed = export_file(
        landing, dt.date.fromisoformat(files.loc["renamed_column", "export_date"]), "payments"
    )
    columns, _ = read_export(renamed)
    assert "amount" in columns and "amount_gbp" not in columns


def test_duplicated_file_and_cut_export(messy, clean) -> None:
    history, truth, _ = messy
    repeated = set(_keys(truth, "duplicated_file", "enquiries"))
    by_night = history.frames["enquiries"].groupby("_export_date")["enquiry_id"].apply(set)
    assert sum(repeated <= ids for ids in by_night) == 2
    lost = set(_keys(truth, "export_cut_between_rows", "enquiries"))
    assert lost and not lost & set(history.frames["enquiries"]["enquiry_id"])
    assert lost <= set(clean.frames["enquiries"]["enquiry_id"])
