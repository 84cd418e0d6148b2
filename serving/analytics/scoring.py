"""Online scoring with the MLflow champion of the at-enquiry booking model (`ml.champion`).

The holder is built on the first scoring request, in a worker thread: importing MLflow and
loading the model take seconds and much memory, which a worker that never scores (most of
them serve metrics and ingest) should not pay at start-up. `ml.champion.ChampionModel`
re-checks the alias every 30 s, so a promotion reaches the API without a restart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml.champion import ChampionModel


class ModelUnavailable(RuntimeError):
    """No champion is registered yet, or the registry cannot be read (answered with 503)."""


class ChampionScorer:
    """Scores posted enquiries with the champion, loaded on first use."""

    def __init__(self, tracking_uri: str) -> None:
        self._tracking_uri = tracking_uri
        self._model: ChampionModel | None = None
        self._lock = threading.Lock()

    def _score(self, features: Mapping[str, object]) -> tuple[str, float]:
        from mlflow.exceptions import MlflowException

        from ml.champion import ChampionModel, NoChampionError

        with self._lock:
            if self._model is None:
                self._model = ChampionModel.from_tracking_uri(self._tracking_uri)
        try:
            scores = self._model.score([features])
        except (NoChampionError, MlflowException, OSError) as error:
            raise ModelUnavailable(f"the booking model is unavailable: {error}") from error
        return scores.model_version, scores.probabilities[0]

    async def score(self, features: Mapping[str, object]) -> tuple[str, float]:
        """(model version, booking probability); `ValueError` names a bad feature."""
        return await asyncio.to_thread(self._score, features)
