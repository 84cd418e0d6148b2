"""Every route, as deployed (uvicorn, 2 workers): a deeply nested, a 100 MB streamed and a
non-UTF-8 body each get a 4xx, and the workers stay up (the issue's "Done when")."""

from __future__ import annotations

import re
import select
import socket
import subprocess

import httpx
import psutil
import pytest

from tests.integration.security.conftest import DEPLOYED_PORT as PORT
from tests.integration.serving.conftest import PHOTOGRAPHER

pytestmark = pytest.mark.integration

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = 16 * 1024
DEEP = b"[" * 5000 + b"]" * 5000
NOT_UTF8 = b'{"refresh_token": "\xff\xfe\xc3\x28"}'


def operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, path parameters filled in, and the page."""
    schema = httpx.get(f"http://127.0.0.1:{PORT}/openapi.json").json()
    found = [("GET", "/")]
    for path, methods in schema["paths"].items():
        filled = re.sub(r"\{supplier_id\}", PHOTOGRAPHER, path)
        filled = re.sub(r"\{[^}]+\}", "cpl_000011", filled)
        found += [(method.upper(), filled) for method in methods]
    return found


def status_of(sock: socket.socket) -> int:
    """The status code of the answer waiting on `sock`."""
    answer = b""
    while b"\r\n" not in answer:
        piece = sock.recv(4096)
        if not piece:
            break
        answer += piece
    return int(answer.split(b" ", 2)[1])


def send(method: str, path: str, key: str, body: bytes) -> int:
    """One request with `body`; its status."""
    answer = httpx.request(
        method,
        f"http://127.0.0.1:{PORT}{path}",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=30,
    )
    return answer.status_code


def stream_hundred_megabytes(method: str, path: str, key: str) -> int:
    """Stream up to 100 MB chunked, made as sent, until the server answers; its status."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=30) as sock:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = b"%x\r\n" % CHUNK + b" " * CHUNK + b"\r\n"
        sent = 0
        try:
            while sent < HUNDRED_MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += CHUNK
            else:
                if sent >= HUNDRED_MB:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: read what it said
        assert sent < HUNDRED_MB, f"{method} {path} read the whole 100 MB"
        return status_of(sock)


def test_every_route_refuses_bad_bodies_with_a_4xx_and_stays_up(
    deployed: subprocess.Popen[bytes], keys: dict[str, str]
) -> None:
    workers = {child.pid for child in psutil.Process(deployed.pid).children()}
    refused: dict[str, int] = {}
    for method, path in operations():
        for name, status in (
            ("deep", send(method, path, keys["platform"], DEEP)),
            ("not UTF-8", send(method, path, keys["platform"], NOT_UTF8)),
            ("100 MB", stream_hundred_megabytes(method, path, keys["platform"])),
        ):
            refused[f"{name} {method} {path}"] = status
    assert {what: status for what, status in refused.items() if not 400 <= status < 500} == {}
    assert httpx.get(f"http://127.0.0.1:{PORT}/healthz").status_code == 200
    assert {child.pid for child in psutil.Process(deployed.pid).children()} == workers
