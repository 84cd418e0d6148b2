"""Sending the live stream to `POST /api/events` at a steady rate, and counting the answers.

Batches are paced against the run's start (batch i leaves at start + i x interval), so a slow
answer delays the next batch but not the overall rate: the sender catches up by not waiting. A batch
whose request fails in transit is sent again with the same event ids: the API deduplicates by
`event_id`, so a retry can never store an event twice; it shows up under `duplicates` instead.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from wedsync.events.contract import MAX_BATCH_EVENTS
from wedsync.simulator.live import LiveEvent, LiveEventStream

EVENTS_PATH = "/api/events"
SENDS_PER_SECOND = 10
MAX_ATTEMPTS = 4


class StreamError(RuntimeError):
    """The API refused a batch in a way a retry cannot fix (bad key, forbidden, wrong URL)."""


@dataclass
class StreamReport:
    """What the API answered over a live run."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejection_reasons: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, accepted {self.accepted}, "
            f"duplicates {self.duplicates}, rejected {self.rejected}"
        )


def batch_sizes(rate: float, duration: float) -> list[int]:
    """How many events each send carries, so that `rate` events/s are sent over `duration` s."""
    total = round(rate * duration)
    sends = max(1, round(duration * SENDS_PER_SECOND), -(-total // MAX_BATCH_EVENTS))
    sizes = [total * (index + 1) // sends - total * index // sends for index in range(sends)]
    return [size for size in sizes if size]


def _post(client: httpx.Client, body: bytes) -> dict[str, Any]:
    """POST one batch, retrying transport failures and 5xx answers (same ids: idempotent)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = client.post(
                EVENTS_PATH, content=body, headers={"content-type": "application/json"}
            )
        except httpx.TransportError:
            if attempt == MAX_ATTEMPTS:
                raise
        else:
            if response.status_code == 202:
                return response.json()
            if response.status_code < 500 and response.status_code != 429:
                raise StreamError(
                    f"POST {EVENTS_PATH} answered {response.status_code}: {response.text[:300]}"
                )
            if attempt == MAX_ATTEMPTS:
                response.raise_for_status()
        time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


def send_batch(client: httpx.Client, events: list[LiveEvent], report: StreamReport) -> None:
    """Send one batch and add the API's answer to `report`."""
    answer = _post(client, orjson.dumps(events))
    report.sent += len(events)
    report.accepted += int(answer.get("accepted", 0))
    report.duplicates += int(answer.get("duplicates", 0))
    rejected = answer.get("rejected", [])
    report.rejected += len(rejected)
    report.rejection_reasons.extend(str(item.get("reason")) for item in rejected[:5])


def stream_live_events(
    client: httpx.Client,
    stream: LiveEventStream,
    rate: float,
    duration: float,
    on_batch: Callable[[int], None] = lambda sent: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> StreamReport:
    """Send `rate` events/s for `duration` s through `client` (its base URL and key set).

    `on_batch` is told how many events each batch carried (the CLI's progress bar).
    """
    report = StreamReport()
    started = clock()
    sizes = batch_sizes(rate, duration)
    if not sizes:
        return report
    interval = duration / len(sizes)
    for index, size in enumerate(sizes):
        wait = started + index * interval - clock()
        if wait > 0:
            sleep(wait)
        send_batch(client, stream.batch(size, dt.datetime.now(dt.UTC)), report)
        on_batch(size)
    return report


def api_client(api_url: str, api_key: str, timeout: float = 30.0) -> httpx.Client:
    """An HTTP client for the events API, authenticated with `api_key`."""
    return httpx.Client(
        base_url=api_url, headers={"authorization": f"Bearer {api_key}"}, timeout=timeout
    )
