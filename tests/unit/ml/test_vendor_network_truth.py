"""The vendor-network truth check's verdict (ml.vendor_network_truth) on a known network.

40 true pairs, 30 of them with enough referred bookings to show; a mart that predicts 27 of
those and 3 wrong pairs among 230 co-booked pairs passes; the same mart with its pairs
shuffled, or a rule that predicts every co-booked pair, fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.vendor_network_truth import (
    MIN_REFERRED_BOOKINGS,
    PAIRS_FILE,
    REFERRALS_FILE,
    network_against_truth,
    render_network,
)

TRUE_PAIRS = 40
SHOWABLE = 30


def _supplier(number: int) -> str:
    return f"sup_{number:06d}"


@pytest.fixture
def truth(tmp_path: Path) -> Path:
    pairs = pd.DataFrame(
        {
            "supplier_id": [_supplier(n) for n in range(TRUE_PAIRS)],
            "partner_id": [_supplier(500 + n) for n in range(TRUE_PAIRS)],
        }
    )
    pairs.to_parquet(tmp_path / PAIRS_FILE)
    # The showable pairs' referrals booked the rule's minimum; the others' one fewer.
    rows = []
    for n in range(TRUE_PAIRS):
        booked = MIN_REFERRED_BOOKINGS if n < SHOWABLE else MIN_REFERRED_BOOKINGS - 1
        for k in range(booked + 1):  # and one referral that did not book
            rows.append(
                {
                    "enquiry_id": f"enq_{n:04d}{k}",
                    "couple_id": f"cpl_{n:04d}{k}",
                    "referred_by": _supplier(n),
                    "supplier_id": _supplier(500 + n),
                    "booking_id": f"bkg_{n:04d}{k}" if k < booked else None,
                }
            )
    pd.DataFrame(rows).to_parquet(tmp_path / REFERRALS_FILE)
    return tmp_path


@pytest.fixture
def network() -> pd.DataFrame:
    """27 showable true pairs and 3 wrong ones predicted, 200 co-booked pairs not."""
    predicted = [(_supplier(n), _supplier(500 + n)) for n in range(27)]
    predicted += [(_supplier(n), _supplier(900 + n)) for n in range(3)]
    others = [(_supplier(100 + n), _supplier(700 + n % 50)) for n in range(200)]
    return pd.DataFrame(
        [(a, b, True) for a, b in predicted] + [(a, b, False) for a, b in others],
        columns=["supplier_id", "partner_id", "is_predicted_referral"],
    )


def test_a_network_that_finds_the_true_pairs_passes(truth: Path, network: pd.DataFrame) -> None:
    report = network_against_truth(network, truth)
    assert report is not None
    assert (report.true_pairs, report.showable_pairs) == (TRUE_PAIRS, SHOWABLE)
    assert report.precision == pytest.approx(0.9)
    assert report.recall == pytest.approx(27 / 40)
    assert report.showable_recall == pytest.approx(0.9)
    assert report.all_pairs_precision == pytest.approx(27 / 230)
    assert report.ok
    assert render_network(report)[0].endswith(": ok")


def test_shuffled_pairs_fail(truth: Path, network: pd.DataFrame) -> None:
    shuffled = network.assign(
        partner_id=np.random.default_rng(1).permutation(network["partner_id"].to_numpy())
    )
    report = network_against_truth(shuffled, truth)
    assert report is not None
    assert not report.ok
    assert report.precision < 0.3
    assert render_network(report)[0].endswith(": MISSED")


def test_predicting_every_co_booked_pair_fails(truth: Path, network: pd.DataFrame) -> None:
    report = network_against_truth(network.assign(is_predicted_referral=True), truth)
    assert report is not None
    assert report.showable_recall == pytest.approx(0.9)
    assert report.precision == report.all_pairs_precision
    assert not report.ok


def test_without_a_referral_truth_file_there_is_no_verdict(
    tmp_path: Path, network: pd.DataFrame
) -> None:
    assert network_against_truth(network, tmp_path) is None
