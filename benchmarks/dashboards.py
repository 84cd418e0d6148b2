"""A lean WebSocket dashboard for the realtime benchmark: handshake, read frames, answer pings.

A full client library spends more CPU per received frame than the server spends sending it,
so on a 2-core machine 10,000 library clients would measure the clients, not the server. This
one parses only what the benchmark needs (server frames are unmasked; it records the arrival
time and event count of each delta) and answers the server's pings so it keeps its connection.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time
from typing import cast

Receipt = tuple[float, int]  # (monotonic time, events the delta frame covers)

_EVENTS = re.compile(rb'"events":(\d+)')
_TEXT, _CLOSE, _PING = 0x1, 0x8, 0x9


class Dashboard(asyncio.Protocol):
    """One connection to `GET /api/analytics/realtime`; `ready` resolves on the snapshot."""

    def __init__(self, host: str, path: str, api_key: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        # The API key in the header: `?token=` takes short-lived access tokens only.
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {api_key}\r\n\r\n"
        ).encode()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.receipts: list[Receipt] = []
        self.open = False
        self._upgraded = False
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass `asyncio.Transport`, so no isinstance).
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before the snapshot: {exc}"))

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self.ready.set_exception(ConnectionError(status.decode(errors="replace")))
                self.close()
                return
            del self._buffer[: end + 4]
            self._upgraded = self.open = True
        self._read_frames(arrived)

    def close(self) -> None:
        """Drop the connection (the benchmark is over)."""
        if self._transport is not None:
            self._transport.close()

    def _read_frames(self, arrived: float) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                return
            payload = bytes(buffer[offset : offset + length])
            del buffer[: offset + length]
            if opcode == _TEXT:
                self._on_text(payload, arrived)
            elif opcode == _PING and self._transport is not None:
                # A client's frames are masked; a zero mask leaves the (short) payload as is.
                self._transport.write(bytes([0x8A, 0x80 | len(payload)]) + bytes(4) + payload)
            elif opcode == _CLOSE:
                self.open = False

    def _on_text(self, payload: bytes, arrived: float) -> None:
        if not self.ready.done():
            self.ready.set_result(None)  # the first frame is the snapshot
        elif payload.startswith(b'{"type":"delta"'):
            match = _EVENTS.search(payload)
            self.receipts.append((arrived, int(match.group(1)) if match else 0))


async def open_dashboard(
    port: int, key: str, timeout: float = 60.0, kind: type[Dashboard] = Dashboard
) -> Dashboard:
    """Connect, upgrade and wait for the snapshot (raises on refusal or timeout)."""
    loop = asyncio.get_running_loop()
    _, dashboard = await loop.create_connection(
        lambda: kind(f"127.0.0.1:{port}", "/api/analytics/realtime", key), "127.0.0.1", port
    )
    try:
        await asyncio.wait_for(dashboard.ready, timeout)
    except BaseException:
        dashboard.close()
        raise
    return dashboard
