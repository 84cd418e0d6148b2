"""The load a fault lands in: ingest clients that retry until acknowledged, dashboards reading
cached answers, and live-feed WebSockets that reconnect, all driving the API over loopback.

What they saw is what a fault is judged by: which batches were acknowledged (checked against
Postgres afterwards: none lost, none stored twice), the slowest cached read, the reads refused,
and whether each live feed resumed after the fault.

The dashboards read from a process of their own, one thread each, as a dashboard reads from its
own browser. Sharing the load's event loop, their reads were timed behind batch building and
WebSocket frames: that loop lagged 20-200 ms under load, and those lags were counted as the
API's (an out-of-process probe saw at most 9 ms at the same moments).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as ProcessEvent

import httpx

from benchmarks.dashboards import Dashboard, open_dashboard
from benchmarks.ingest import Batch, make_batch

#: The read every dashboard repeats (warmed before the fault, so it is a cached answer).
METRICS = "/api/analytics/metrics"
RETRY_SECONDS = 0.05
READ_PAUSE_SECONDS = 0.02
# Paced, so the figures measure the fault and not 2 cores saturated by the clients themselves.
BATCH_EVENTS = 500
BATCH_PAUSE_SECONDS = 0.1
SUPPLIERS = 50
SLOW_READ_MS = 50.0


class FeedWatcher(Dashboard):
    """A dashboard that also keeps the `status` frames (the feed saying it is degraded)."""

    def __init__(self, host: str, path: str, api_key: str) -> None:
        super().__init__(host, path, api_key)
        self.statuses: list[bytes] = []

    def _on_text(self, payload: bytes, arrived: float) -> None:
        if payload.startswith(b'{"type":"status"'):
            self.statuses.append(payload)
        super()._on_text(payload, arrived)


@dataclass
class Reads:
    """What the dashboards' cached reads saw (filled in the readers' process)."""

    #: Cached reads before the fault (the same run's reference), and from its start on.
    read_ms_before: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    #: (seconds since the fault began, ms) of each read slower than the 50 ms target.
    slow_reads: list[tuple[float, float]] = field(default_factory=list)
    refused_reads: int = 0
    #: Why reads were refused: "<status> <detail>" (or the client's error), with counts.
    refusals: Counter[str] = field(default_factory=Counter)
    stale_reads: int = 0


def _read_one_dashboard(
    base_url: str,
    key: str,
    fault_at: Synchronized[float],
    stop: ProcessEvent,
    reads: Reads,
    lock: threading.Lock,
    reads_before: Synchronized[int],
) -> None:
    """Repeat one dashboard's cached read until `stop`, timing each answer."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = client.get(METRICS, headers=headers)
            except httpx.HTTPError as error:
                with lock:
                    reads.refused_reads += 1  # the worker died under it: reconnect
                    reads.refusals[type(error).__name__] += 1
                time.sleep(RETRY_SECONDS)
                continue
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                if not fault_at.value:
                    reads.read_ms_before.append(elapsed_ms)
                    reads_before.value += 1
                else:
                    reads.read_ms.append(elapsed_ms)
                    if elapsed_ms > SLOW_READ_MS:
                        at = time.monotonic() - fault_at.value - elapsed_ms / 1000
                        reads.slow_reads.append((at, elapsed_ms))
                if response.status_code != 200:
                    reads.refused_reads += 1
                    reads.refusals[f"{response.status_code} {response.text[:80]}"] += 1
                elif "warning" in response.headers:
                    reads.stale_reads += 1
            time.sleep(READ_PAUSE_SECONDS)


def read_dashboards(
    base_url: str,
    keys: list[str],
    fault_at: Synchronized[float],
    stop: ProcessEvent,
    reads_before: Synchronized[int],
    results: multiprocessing.SimpleQueue[Reads],
) -> None:
    """The readers' process: one thread per dashboard key until `stop`, then report `Reads`.

    `fault_at` is the fault's `time.monotonic()` (0 before it): the clock is the system's, so
    the load's process and this one agree on it.
    """
    reads, lock = Reads(), threading.Lock()
    threads = [
        threading.Thread(
            target=_read_one_dashboard,
            args=(base_url, key, fault_at, stop, reads, lock, reads_before),
        )
        for key in keys
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(reads)


@dataclass
class Observed:
    """What the clients saw while the fault happened."""

    acked_batches: set[int] = field(default_factory=set)
    ingest_refusals: int = 0
    last_ack: float = 0.0
    reads: Reads = field(default_factory=Reads)
    feed_reconnects: int = 0
    feeds_resumed: int = 0
    feeds: int = 0
    degraded_statuses: int = 0


class Load:
    """Ingest, cached reads and live feeds against one API until `stop()`."""

    def __init__(self, base_url: str, platform_key: str, reader_keys: list[str]) -> None:
        self.base_url = base_url
        self.port = int(base_url.rsplit(":", 1)[1])
        self.platform_key = platform_key
        self.reader_keys = reader_keys
        #: Every batch sent, by index (made as the clients need them).
        self.batches: list[Batch] = []
        self.seen = Observed()
        self._stopping = asyncio.Event()
        self._fault_at: float | None = None
        self._feeds_open = 0
        self._feeds_wanted = 0
        spawn = multiprocessing.get_context("spawn")
        self._reads_fault_at = spawn.Value("d", 0.0)
        self._reads_before = spawn.Value("i", 0)
        self._reads_stop = spawn.Event()
        self._reads_results: multiprocessing.SimpleQueue[Reads] = spawn.SimpleQueue()
        self._readers = spawn.Process(
            target=read_dashboards,
            args=(
                base_url,
                reader_keys,
                self._reads_fault_at,
                self._reads_stop,
                self._reads_before,
                self._reads_results,
            ),
            daemon=True,
        )

    async def warm(self) -> None:
        """Read each dashboard's answer until it is a cache hit (bounded), before the load."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            for key in self.reader_keys:
                headers = {"Authorization": f"Bearer {key}"}
                for _ in range(50):
                    response = await client.get(METRICS, headers=headers)
                    if response.headers.get("x-cache") == "hit":
                        break

    def steady(self) -> bool:
        """Whether every client is under way: each dashboard has read a few times, a batch is
        acknowledged and every feed has its snapshot (a fault before that measures a cold start).
        """
        return (
            self._reads_before.value >= 5 * len(self.reader_keys)
            and bool(self.seen.acked_batches)
            and self._feeds_open >= self._feeds_wanted
        )

    def fault_starts(self) -> None:
        """Mark the fault's start: feeds must show a delta after it to count as resumed."""
        self._fault_at = time.monotonic()
        self._reads_fault_at.value = self._fault_at

    async def stop(self) -> None:
        """Ask every client to finish what it is doing (a batch is retried until acknowledged)."""
        self._stopping.set()
        self._reads_stop.set()

    async def ingest(self, client: httpx.AsyncClient) -> None:
        """Post batches in turn; each is retried (as a real sender would) until `202`."""
        while not self._stopping.is_set():
            index = len(self.batches)
            self.batches.append(make_batch(BATCH_EVENTS, SUPPLIERS, index))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    response = await client.post("/api/events", content=self.batches[index].body)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 202:
                    self.seen.acked_batches.add(index)
                    self.seen.last_ack = time.monotonic()
                    await asyncio.sleep(BATCH_PAUSE_SECONDS)
                    break
                self.seen.ingest_refusals += 1
                await asyncio.sleep(RETRY_SECONDS)

    async def feed(self, key: str) -> None:
        """Hold a live feed, reconnecting when it drops; resumed = a delta after the fault."""
        self.seen.feeds += 1
        resumed = False
        while not self._stopping.is_set():
            try:
                dashboard = await open_dashboard(self.port, key, 10, FeedWatcher)
            except (OSError, ConnectionError, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            assert isinstance(dashboard, FeedWatcher)
            self._feeds_open += 1
            while dashboard.open and not self._stopping.is_set():
                await asyncio.sleep(0.1)
                if not resumed and self._fault_at is not None:
                    resumed = any(arrived > self._fault_at for arrived, _ in dashboard.receipts)
            self.seen.degraded_statuses += sum(b'"degraded":["' in s for s in dashboard.statuses)
            dashboard.close()
            self._feeds_open -= 1
            if not self._stopping.is_set():
                self.seen.feed_reconnects += 1
        self.seen.feeds_resumed += resumed

    async def run(self, ingest_clients: int = 4, feeds: int = 8) -> None:
        """Every client, until `stop()` (and each in-flight batch is acknowledged)."""
        self._feeds_wanted = feeds
        if self.reader_keys:
            self._readers.start()
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.platform_key}"},
            timeout=30,
        ) as ingest_client:
            await asyncio.gather(
                *(self.ingest(ingest_client) for _ in range(ingest_clients)),
                *(self.feed(self.platform_key) for _ in range(feeds)),
            )
        if self.reader_keys:
            self.seen.reads = await asyncio.to_thread(self._reads_results.get)
            await asyncio.to_thread(self._readers.join, 30)
