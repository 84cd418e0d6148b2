"""The online champion holder: loads once, rechecks the alias on a clock, validates input."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from ml.champion import ChampionModel, NoChampionError
from ml.features import FEATURE_COLUMNS


@dataclass
class _Version:
    version: str


@dataclass
class _Registry:
    """A registry whose `champion` alias the test moves by hand."""

    champion: str | None = "1"
    alias_lookups: int = 0

    def get_model_version_by_alias(self, name: str, alias: str) -> _Version:
        self.alias_lookups += 1
        if self.champion is None:
            raise MlflowException(f"alias {alias} not found for {name}")
        return _Version(self.champion)

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        return f"store://{name}/{version}"


@dataclass
class _ConstantModel:
    """Predicts the same booking probability for every enquiry."""

    probability: float

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        assert list(features.columns) == list(FEATURE_COLUMNS)
        return np.column_stack(
            [np.full(len(features), 1 - self.probability), np.full(len(features), self.probability)]
        )


@dataclass
class _Loader:
    """Loads `store://booking_probability_at_enquiry/<v>` as a model predicting 0.<v>."""

    loaded: list[str] = field(default_factory=list)

    def __call__(self, uri: str) -> _ConstantModel:
        self.loaded.append(uri)
        return _ConstantModel(int(uri.rsplit("/", 1)[1]) / 10)


@dataclass
class _Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


ENQUIRY: dict[str, object] = {
    "enquiry_id": "enq_0000001",
    "vendor_type": "photographer",
    "region": "wales",
    "price_band": "mid",
    "channel": "referral",
    "lead_time_days": 240,
    "guest_count": 80,
    "budget_gbp": 18000.0,
    "budget_to_price_ratio": 1.1,
    "wedding_month": 8,
    "is_peak_season": True,
    "is_saturday": True,
    "wedding_month_rain_days": 9.5,
    "wedding_month_mean_temp_c": 15.8,
    "supplier_date_bookings": 0,
    "couple_prior_enquiries": 1,
    "couple_booked_vendor_type": False,
}


def _holder(registry: _Registry) -> tuple[ChampionModel, _Loader, _Clock]:
    loader, clock = _Loader(), _Clock()
    holder = ChampionModel(registry, recheck_seconds=30.0, load_model=loader, clock=clock)  # type: ignore[arg-type]
    return holder, loader, clock


def test_champion_is_loaded_once_and_scores_with_its_version() -> None:
    holder, loader, _ = _holder(_Registry())
    first = holder.score([ENQUIRY])
    second = holder.score([ENQUIRY, ENQUIRY])
    assert first.model_version == "1" and first.probabilities == [pytest.approx(0.1)]
    assert second.probabilities == [pytest.approx(0.1)] * 2
    assert loader.loaded == ["store://booking_probability_at_enquiry/1"]


def test_moved_alias_is_picked_up_after_the_recheck_interval() -> None:
    registry = _Registry()
    holder, loader, clock = _holder(registry)
    assert holder.version == "1"
    registry.champion = "2"
    clock.now = 29.0
    assert holder.version == "1"
    clock.now = 31.0
    assert holder.score([ENQUIRY]).probabilities == [pytest.approx(0.2)]
    assert holder.version == "2"
    assert loader.loaded == [
        "store://booking_probability_at_enquiry/1",
        "store://booking_probability_at_enquiry/2",
    ]


def test_unmoved_alias_is_rechecked_without_reloading() -> None:
    registry = _Registry()
    holder, loader, clock = _holder(registry)
    holder.score([ENQUIRY])
    clock.now = 100.0
    holder.score([ENQUIRY])
    assert registry.alias_lookups == 2
    assert len(loader.loaded) == 1


def test_no_champion_yet_is_its_own_error() -> None:
    holder, _, _ = _holder(_Registry(champion=None))
    with pytest.raises(NoChampionError, match="champion"):
        holder.score([ENQUIRY])


def test_bad_enquiry_names_the_field_before_any_model_is_loaded() -> None:
    holder, loader, _ = _holder(_Registry())
    bad = {**ENQUIRY, "lead_time_days": "soon"}
    missing = {key: value for key, value in ENQUIRY.items() if key != "region"}
    with pytest.raises(ValueError) as raised:
        holder.score([ENQUIRY, bad, missing])
    message = str(raised.value)
    assert "enquiries[1].lead_time_days must be a number or boolean, got 'soon'" in message
    assert "enquiries[2].region is required" in message
    assert loader.loaded == []


def test_optional_features_may_be_null() -> None:
    holder, _, _ = _holder(_Registry())
    sparse = {**ENQUIRY, "guest_count": None, "budget_gbp": None, "budget_to_price_ratio": None}
    assert len(holder.score([sparse]).probabilities) == 1
