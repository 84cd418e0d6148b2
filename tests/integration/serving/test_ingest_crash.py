"""Crash test: the API is SIGKILLed and restarted while batches arrive; nothing acked is lost.

Runs the server as deployed (uvicorn with two workers, in its own process group, killed whole
with SIGKILL). The clients retry each batch until it is acknowledged, as the platform does; an
acknowledged event must then be in `raw.events` exactly once, and a batch that was committed
but whose answer died with the server must come back as duplicates, never stored twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from tests.integration.serving.conftest import REDIS_URL, bearer
from wedsync.settings import REPO_ROOT
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

BATCHES = 60
BATCH_SIZE = 200
SENDERS = 4
KILLS = 4
ACKS_BETWEEN_KILLS = 8
#: Bounds: starts of the server, the wait for it to answer, and a batch's retries.
START_ATTEMPTS = 5
READY_SECONDS = 60.0
BATCH_SECONDS = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A uvicorn process group serving the API on `port`."""

    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "WEDSYNC_DATABASE_URL": self.database_url,
            "WEDSYNC_REDIS_URL": REDIS_URL,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "serving.main:app",
                "--port",
                str(self.port),
                "--workers",
                "2",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=REPO_ROOT,
            env=env,
            start_new_session=True,
        )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Kill whatever of `server` is still running on the way out."""
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


async def start_ready(server: Server, client: httpx.AsyncClient) -> None:
    """Start the server and wait until it answers, on a new port if its port was taken.

    Between `free_port` and uvicorn's bind, another socket on the machine (an outgoing
    connection's ephemeral port, or a killed worker not yet gone) can hold the port; uvicorn
    then exits at once, and waiting for it would never end.
    """
    for _ in range(START_ATTEMPTS):
        server.start()
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            assert server.process is not None
            if server.process.poll() is not None:
                break  # it exited: the port was taken
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        if server.process is not None and server.process.poll() is None:
            server.kill()
        server.port = free_port()
        client.base_url = httpx.URL(server.url)
    raise AssertionError(f"the API did not start in {START_ATTEMPTS} attempts")


def make_batch(serial: int) -> list[dict[str, object]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "profile_view",
            "occurred_at": "2026-05-01T12:00:00Z",
            "supplier_id": f"sup_{(serial * BATCH_SIZE + i) % 50:06d}",
            "properties": {"source": "search"},
        }
        for i in range(BATCH_SIZE)
    ]


@dataclass
class Progress:
    acked: set[str] = field(default_factory=set)
    acked_batches: int = 0
    duplicates: int = 0
    retries: int = 0


async def send_until_acked(
    client: httpx.AsyncClient, batch: list[dict[str, object]], progress: Progress
) -> None:
    body = orjson.dumps(batch)
    deadline = time.monotonic() + BATCH_SECONDS
    while time.monotonic() < deadline:
        try:
            response = await client.post("/api/events", content=body)
        except httpx.TransportError:
            progress.retries += 1
            await asyncio.sleep(0.05)
            continue
        if response.status_code != 202:
            progress.retries += 1  # 503 while the restarted server warms up
            await asyncio.sleep(0.05)
            continue
        answer = response.json()
        assert answer["accepted"] + answer["duplicates"] == len(batch)
        assert answer["rejected"] == []
        progress.acked.update(str(event["event_id"]) for event in batch)
        progress.acked_batches += 1
        progress.duplicates += answer["duplicates"]
        return
    raise AssertionError(f"a batch was not acknowledged within {BATCH_SECONDS:.0f} s")


async def test_acknowledged_events_survive_sigkill_exactly_once(
    warehouse_url: str, keys: dict[str, str]
) -> None:
    batches = [make_batch(serial) for serial in range(BATCHES)]
    queue: asyncio.Queue[list[dict[str, object]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    progress = Progress()
    kills = 0

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            await send_until_acked(client, queue.get_nowait(), progress)

    server = Server(warehouse_url)
    with running(server):
        async with httpx.AsyncClient(
            base_url=server.url, headers=bearer(keys["platform"]), timeout=30
        ) as client:
            await start_ready(server, client)
            senders = asyncio.gather(*(sender(client) for _ in range(SENDERS)))
            while kills < KILLS and not senders.done():
                target = progress.acked_batches + ACKS_BETWEEN_KILLS
                while progress.acked_batches < target and not senders.done():
                    await asyncio.sleep(0.01)
                server.kill()  # mid-flight: other senders have batches on the wire
                kills += 1
                await start_ready(server, client)
            await senders

    sent = {str(event["event_id"]) for batch in batches for event in batch}
    assert kills == KILLS
    assert progress.retries >= KILLS  # every kill cut off requests that had to be resent
    assert progress.acked == sent
    with connect(warehouse_url) as conn:
        rows = conn.execute("select event_id::text from raw.events").fetchall()
        claimed = conn.execute("select count(*) from raw.event_ids").fetchone()
    stored = [row[0] for row in rows]
    assert len(stored) == len(set(stored)) == len(sent)  # nothing twice, nothing lost
    assert set(stored) == sent
    assert claimed == (len(sent),)
