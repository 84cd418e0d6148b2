"""`wedsync simulate --live` against the real API (uvicorn, as deployed) and Postgres.

Redis is pointed at a closed port: ingestion must not need it (DESIGN.md), and the test then
publishes nothing on the live channels other tests may be listening to.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.simulator.live import LiveEventStream
from wedsync.simulator.streaming import StreamReport, api_client, send_batch, stream_live_events
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[str, str, str]]:
    """The API's URL, a platform key, and the warehouse URL it writes to."""
    with throwaway_database("wedsync_dev_sim") as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
            key = create_api_key(conn, None, "platform", "simulator live test")
        port = _free_port()
        env = {
            **os.environ,
            "WEDSYNC_DATABASE_URL": database_url,
            "WEDSYNC_REDIS_URL": CLOSED_REDIS,
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "serving.main:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url)
            yield url, key, database_url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_healthy(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the API at {url} did not become healthy")


def _stored(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select count(*) from raw.events").fetchone()
    return int(row[0]) if row else 0


def test_live_stream_is_accepted_and_committed_once(api):
    url, key, database_url = api
    stream = LiveEventStream(seed=5, scale=0.05, today=dt.datetime.now(dt.UTC).date())
    with api_client(url, key) as client:
        report = stream_live_events(client, stream, rate=1_500, duration=1)
        assert (report.sent, report.accepted, report.rejected) == (1_500, 1_500, 0)
        assert _stored(database_url) == 1_500

        replay = stream.batch(200, dt.datetime.now(dt.UTC))
        first, again = StreamReport(), StreamReport()
        send_batch(client, replay, first)
        send_batch(client, replay, again)
    assert (first.accepted, again.accepted, again.duplicates) == (200, 0, 200)
    assert _stored(database_url) == 1_700
