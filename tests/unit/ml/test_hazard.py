"""The booking-lag hazard: an open enquiry's chance of still booking falls with its age."""

import numpy as np
import pytest

from ml.hazard import BookingLagHazard


def test_hazard_and_survival_of_a_small_life_table() -> None:
    # Four bookings: on day 1, day 1, day 2 and day 4.
    hazard = BookingLagHazard.fit(np.array([1, 1, 2, 4]))
    assert hazard.hazard.tolist() == pytest.approx([0.0, 0.5, 0.5, 0.0, 1.0])
    assert hazard.horizon_days == 4
    # S(a): the share of bookings that come on day a or later.
    assert hazard.survival(np.array([0, 1, 2, 3, 4, 5, 99])).tolist() == pytest.approx(
        [1.0, 1.0, 0.5, 0.25, 0.25, 0.0, 0.0]
    )


def test_a_fresh_enquiry_keeps_its_at_enquiry_probability() -> None:
    hazard = BookingLagHazard.fit(np.array([1, 3, 5, 8]))
    assert hazard.still_books(np.array([0.3]), np.array([0])).tolist() == pytest.approx([0.3])


def test_still_open_at_an_age_is_bayes_on_the_share_still_to_come() -> None:
    hazard = BookingLagHazard.fit(np.array([1, 1, 2, 4]))
    p, survival = 0.4, 0.25  # at age 3 a quarter of bookings are still to come
    expected = p * survival / (1 - p + p * survival)
    assert hazard.still_books(np.array([p]), np.array([3]))[0] == pytest.approx(expected)
    assert hazard.still_books(np.array([p]), np.array([30]))[0] == 0.0  # past every lag seen


def test_the_conditional_probability_matches_a_simulated_cohort() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0.1, 0.6, 200_000)
    books = rng.random(len(p)) < p
    lag = np.minimum(1 + np.floor(rng.exponential(10.0, len(p))), 55).astype(int)
    hazard = BookingLagHazard.fit(lag[books][:20_000])
    age = rng.integers(0, 60, len(p))
    still_open = ~(books & (lag < age))
    predicted = hazard.still_books(p[still_open], age[still_open])
    real = (books & (lag >= age))[still_open]
    for low, high in ((0, 7), (8, 21), (22, 42), (43, 60)):
        band = (age[still_open] >= low) & (age[still_open] <= high)
        assert predicted[band].mean() == pytest.approx(real[band].mean(), abs=0.01)


def test_a_lag_table_needs_a_lag() -> None:
    with pytest.raises(ValueError, match="booking lag"):
        BookingLagHazard.fit(np.array([np.nan]))
