"""The champion booking model for online scoring: loaded once, reloaded when the alias moves.

The API scores posted enquiries many times a second; loading a model from MLflow takes far
longer than scoring, so the holder keeps the loaded champion and only asks the registry which
version `champion` points at every `recheck_seconds`. When a training promotes a new version,
the next request after the recheck interval loads it; until then the previous champion answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import mlflow.sklearn
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from ml.features import features_from_records
from ml.registry import CHAMPION, REGISTERED_MODEL

DEFAULT_RECHECK_SECONDS = 30.0


class NoChampionError(RuntimeError):
    """No version of the registered model holds the `champion` alias yet (answer 503)."""


class AliasRegistry(Protocol):
    """The two registry calls the holder needs (an `MlflowClient` has both)."""

    def get_model_version_by_alias(self, name: str, alias: str) -> object:
        """The model version an alias points at."""
        ...

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        """Where that version's model files are."""
        ...


@dataclass(frozen=True)
class ChampionScores:
    """Booking probabilities for posted enquiries, and which registered version gave them."""

    model_version: str
    probabilities: list[float]


@dataclass(frozen=True)
class _LoadedChampion:
    version: str
    model: Pipeline


class ChampionModel:
    """Holds the `champion` version of the at-enquiry booking model for a serving process.

    Thread-safe: request handlers may call `score` from a thread pool; one of them reloads
    while the others keep answering with the model they already hold.
    """

    def __init__(
        self,
        registry: AliasRegistry,
        *,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        load_model: Callable[[str], Pipeline] = mlflow.sklearn.load_model,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._recheck_seconds = recheck_seconds
        self._load_model = load_model
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded: _LoadedChampion | None = None
        self._checked_at = float("-inf")

    @classmethod
    def from_tracking_uri(
        cls, tracking_uri: str, recheck_seconds: float = DEFAULT_RECHECK_SECONDS
    ) -> ChampionModel:
        """A holder reading the registry at `tracking_uri` (no global MLflow state is changed)."""
        client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        return cls(client, recheck_seconds=recheck_seconds)

    def _champion_version(self) -> str:
        try:
            version = self._registry.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
        except MlflowException as error:
            raise NoChampionError(
                f"registered model {REGISTERED_MODEL!r} has no {CHAMPION!r} alias yet"
            ) from error
        return str(version.version)  # type: ignore[attr-defined]

    def _current(self) -> _LoadedChampion:
        """The loaded champion, after asking the registry if the recheck interval has passed."""
        with self._lock:
            now = self._clock()
            if self._loaded is not None and now - self._checked_at < self._recheck_seconds:
                return self._loaded
            version = self._champion_version()
            if self._loaded is None or self._loaded.version != version:
                uri = self._registry.get_model_version_download_uri(REGISTERED_MODEL, version)
                self._loaded = _LoadedChampion(version, self._load_model(uri))
            self._checked_at = now
            return self._loaded

    @property
    def version(self) -> str:
        """The registered version currently answering (loads it on first use)."""
        return self._current().version

    def score(self, enquiries: Sequence[Mapping[str, object]]) -> ChampionScores:
        """Booking probability of each posted enquiry (see `ml.features.features_from_records`).

        Raises `ValueError` naming the field for bad input, `NoChampionError` before the
        first promoted model.
        """
        features = features_from_records(enquiries)
        champion = self._current()
        probabilities = champion.model.predict_proba(features)[:, 1] if len(features) else []
        return ChampionScores(champion.version, [float(p) for p in probabilities])
