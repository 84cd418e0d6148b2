"""Request bodies bounded before anything reads them: size while streaming, nesting before parsing.

FastAPI reads and parses a route's whole JSON body before any dependency (authentication
included) runs, so without a bound a few parallel multi-GB posts exhaust a worker's memory
without a key. `BodyLimit` sits in front of the whole application and:

- refuses a declared `Content-Length` over the route's limit at once (413, nothing read);
- counts the bytes as they stream in and refuses the request (413) when they pass the limit,
  so a chunked body is never held beyond it;
- refuses a body on a route that takes none (GET, HEAD, DELETE, OPTIONS, the token
  exchange: 413);
- for JSON bodies below `NESTING_CHECK_BYTES` (every route but the event intake), refuses one
  nested deeper than `MAX_JSON_DEPTH` (400) before any decoder sees it: Python's and msgspec's
  decoders recurse, and a few thousand levels ended as a `RecursionError` (a 500).

The event intake (`/api/events`, up to 4 MiB) is checked by its own decoder's depth limit
instead (scanning 4 MiB in Python would cost the ingest path more than it decodes).
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The event intake takes 1,000 events of a few hundred bytes each.
EVENTS_BODY_BYTES = 4 * 1024 * 1024
#: Every other body is a small JSON object (a refresh token, an enquiry to score).
DEFAULT_BODY_BYTES = 64 * 1024
NESTING_CHECK_BYTES = DEFAULT_BODY_BYTES
MAX_JSON_DEPTH = 32
_LARGE_BODY_PATHS = {"/api/events": EVENTS_BODY_BYTES}
_BODILESS_METHODS = {"GET", "HEAD", "DELETE", "OPTIONS"}
#: Routes of other methods that take no body (the key comes in the `Authorization` header).
_BODILESS_PATHS = {"/api/auth/token"}
# A JSON string (skipped whole, escapes included) or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BodyRefused(HTTPException):
    """A body the API will not read further (an `HTTPException`, so FastAPI answers it as such).

    Raised from inside `receive`, where a route or FastAPI's body parsing is reading.
    """


def body_limit(method: str, path: str) -> int:
    """The most bytes a request to `path` may send (0: no body at all)."""
    if method in _BODILESS_METHODS or path in _BODILESS_PATHS:
        return 0
    return _LARGE_BODY_PATHS.get(path, DEFAULT_BODY_BYTES)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper than the brackets it holds
    depth = deepest = 0
    for token in _TOKENS.finditer(body):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif first in (b"]", b"}"):
            depth -= 1
    return deepest


def _too_large(limit: int) -> BodyRefused:
    if limit == 0:
        return BodyRefused(413, "this route takes no request body")
    return BodyRefused(413, f"the request body exceeds this route's limit of {limit} bytes")


def _declared_length(scope: Scope) -> tuple[int | None, bool]:
    """`Content-Length` (None when absent) and whether the body is chunked."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise BodyRefused(400, "Content-Length must be a non-negative integer")
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodyLimit:
    """Pure ASGI middleware bounding every HTTP request's body (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"])
        try:
            length, chunked = _declared_length(scope)
            if (length is not None and length > limit) or (limit == 0 and chunked):
                raise _too_large(limit)
        except BodyRefused as refusal:
            await _refuse(send, refusal)
            return
        if limit == 0:
            # No body declared, none accepted: nothing to count (the hot path's GETs).
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._bounded(receive, limit), tracked_send)
        except BodyRefused as refusal:
            if started:
                raise
            await _refuse(send, refusal)

    @staticmethod
    def _bounded(receive: Receive, limit: int) -> Receive:
        """`receive`, raising `BodyRefused` past `limit` bytes or (small JSON) too deep."""
        received = 0
        held: list[bytes] | None = [] if limit <= NESTING_CHECK_BYTES else None

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            if held is not None:
                held.append(chunk)
                if not message.get("more_body", False):
                    depth = json_depth(b"".join(held))
                    if depth > MAX_JSON_DEPTH:
                        raise BodyRefused(
                            400, f"the JSON body nests {depth} levels; at most {MAX_JSON_DEPTH}"
                        )
            return message

        return bounded_receive


async def _refuse(send: Send, refusal: BodyRefused) -> None:
    """Answer the refusal and close the connection (the rest of the body is never read)."""
    body = b'{"detail":"' + refusal.detail.encode() + b'"}'
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
