"""The one conversion rate and Wilson interval, against published and dbt-computed values."""

from __future__ import annotations

import pytest

from wedsync.conversion import conversion_rate, wilson_interval, with_conversion


@pytest.mark.parametrize(
    ("successes", "trials", "interval"),
    [
        # The score interval at z = 1.96 as any Wilson calculator gives it.
        (5, 10, (0.2366, 0.7634)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        # As dbt_project/macros/conversion.sql's wilson_bound computes them in Postgres.
        (16, 70, (0.1459, 0.3395)),
        (3, 10, (0.1078, 0.6032)),
    ],
)
def test_wilson_interval_matches_known_values(
    successes: int, trials: int, interval: tuple[float, float]
) -> None:
    assert wilson_interval(successes, trials) == interval


def test_rates_round_half_away_from_zero_as_postgres_does() -> None:
    # 1/32 = 0.03125 exactly: Python's round() gives 0.0312, Postgres's round(numeric) 0.0313.
    assert conversion_rate(1, 32) == 0.0313
    assert conversion_rate(16, 70) == 0.2286


def test_no_trials_has_no_rate_and_no_interval() -> None:
    assert conversion_rate(0, 0) is None
    assert wilson_interval(0, 0) is None


def test_a_zero_lower_bound_is_zero_not_minus_zero() -> None:
    # Unclamped, the rounded square root leaves 0 of 22 and 0 of 26 a hair below zero.
    for trials in (22, 26):
        low, _ = wilson_interval(0, trials) or (None, None)
        assert str(low) == "0.0"


def test_with_conversion_names_the_columns_as_the_marts_do() -> None:
    assert with_conversion({"bookings": 16, "enquiries": 70}, "bookings", "enquiries") == {
        "bookings": 16,
        "enquiries": 70,
        "conversion_rate": 0.2286,
        "conversion_ci_low": 0.1459,
        "conversion_ci_high": 0.3395,
    }
    assert with_conversion({"bookings": None, "enquiries": 0}, "bookings", "enquiries") == {
        "bookings": None,
        "enquiries": 0,
        "conversion_rate": None,
        "conversion_ci_low": None,
        "conversion_ci_high": None,
    }
