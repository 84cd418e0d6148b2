"""What HAProxy thinks of its servers, read from its stats page (CSV)."""

from __future__ import annotations

import csv
import io
import time
import urllib.request

from wedsync.cluster.processes import ClusterError


def _server_rows(stats_port: int) -> list[dict[str, str]]:
    """HAProxy's stats, one row per server (its frontend and backend summaries left out)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/;csv", timeout=2) as reply:
        text = reply.read().decode()
    rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
    return [row for row in rows if row["svname"] not in ("FRONTEND", "BACKEND")]


def server_states(stats_port: int) -> dict[tuple[str, str], str]:
    """`{(backend, server): status}` with HAProxy's words: `UP`, `DOWN`, `UP 1/2`, `MAINT`..."""
    return {(row["pxname"], row["svname"]): row["status"] for row in _server_rows(stats_port)}


def server_stats(stats_port: int, backend: str, counter: str) -> dict[str, int]:
    """One counter of every server in `backend`: `stot` sessions, `wretr` retries, `wredis`..."""
    return {
        row["svname"]: int(row[counter] or 0)
        for row in _server_rows(stats_port)
        if row["pxname"] == backend
    }


def wait_until_up(stats_port: int, backend: str, servers: list[str], timeout: float = 30.0) -> None:
    """Wait until HAProxy's health checks have every one of `servers` in `backend` UP."""
    deadline = time.monotonic() + timeout
    states: dict[tuple[str, str], str] = {}
    while time.monotonic() < deadline:
        states = server_states(stats_port)
        if all(states.get((backend, server)) == "UP" for server in servers):
            return
        time.sleep(0.2)
    seen = {server: states.get((backend, server)) for server in servers}
    raise ClusterError(f"HAProxy's {backend} servers not all UP after {timeout:.0f} s: {seen}")
