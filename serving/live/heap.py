"""Held connections' objects kept out of the cyclic garbage collector's full passes.

A held dashboard connection is ~170 objects the collector tracks (the ASGI middleware chain's
suspended coroutines, uvicorn's and websockets' protocol state, the subscription). At 10,000
connections a full collection walks 1.7 million objects and stops the event loop for about a
second, and CPython runs one whenever the objects promoted since the last one reach a quarter
of those it kept: under a live feed's load, every ~20 s. Every frame in flight waits for it;
that pause, not the fan-out, was the feed's p99.

A connection's objects live as long as the connection, so once the connections held have grown
they are moved to the permanent generation (`gc.freeze`, a list splice), which collections
skip. Frozen objects are still freed by reference counting when their connection closes; only
reference cycles among them wait. So once a quarter of the frozen connections have closed,
everything is handed back and collected in one pass (`gc.unfreeze`, `gc.collect`) and the
survivors frozen again: one long pause per turnover of a quarter of the dashboards, as
CPython's own rule would have, instead of one every 20 s. A process holding fewer than
`min_step` connections never freezes anything.

The worker's own startup objects (routes, schemas, the imported libraries: about 318,000) are
frozen the same way while it serves (`startup_frozen`). Left in the oldest generation, each full
pass walked them for 195-251 ms of CPU, and under ingest load one came every ~10 s: a cached
read arriving then waited ~200 ms (the Redis-kill fault runs' slowest reads). They live as
long as the worker, so nothing is held back from the collector that it could have freed.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

logger = logging.getLogger(__name__)

MIN_STEP_CONNECTIONS = 512


class Collector(Protocol):
    """The parts of the `gc` module the policy uses (a test passes a recording fake)."""

    def freeze(self) -> None:
        """Move every tracked object to the permanent generation."""

    def unfreeze(self) -> None:
        """Move the permanent generation back into the oldest one."""

    def collect(self) -> int:
        """Run a full collection."""


class ConnectionHeap:
    """Freezes held connections' objects as they grow; collects them after enough closed."""

    def __init__(self, min_step: int = MIN_STEP_CONNECTIONS, collector: Collector = gc) -> None:
        self.min_step = min_step
        self._collector = collector
        self._frozen = 0  # connections held at the last freeze
        self._closed = 0  # connections closed since the last full collection

    def closed(self) -> None:
        """Count a connection that closed (its cycles, if frozen, wait for a collection)."""
        self._closed += 1

    def tick(self, held: int) -> None:
        """Apply the policy for `held` connections (the hub calls this about once a second)."""
        if self._frozen and self._closed >= max(self.min_step, self._frozen // 4):
            started = time.perf_counter()
            self._collector.unfreeze()
            collected = self._collector.collect()
            self._collector.freeze()
            logger.info(
                "collected %d objects of %d closed live-feed connections in %.0f ms",
                collected,
                self._closed,
                (time.perf_counter() - started) * 1000,
            )
            self._frozen, self._closed = held, 0
        elif held - self._frozen >= max(self.min_step, self._frozen // 8):
            self._collector.freeze()
            self._frozen = held


@contextmanager
def startup_frozen(collector: Collector = gc) -> Iterator[None]:
    """Keep every object alive now out of full collections until the block ends.

    Freezing is a list splice, not a collection: the little garbage startup left is collected
    once everything is handed back at the end (for the next app in the same process, as in
    tests).
    """
    collector.freeze()
    try:
        yield
    finally:
        collector.unfreeze()
