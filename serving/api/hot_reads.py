"""The hot path of cached reads: a repeated GET whose answer this worker holds, without FastAPI.

A cached hit through the full stack cost ~0.4 ms of CPU, nearly all of it FastAPI's dependency
injection and validation, routing, Starlette's middleware, request and response objects, and a
Redis round trip for the rate limit; the answer itself is a dictionary lookup. `HotReads` sits in
front of the whole application (`serving.main.ServingApp`) and answers a request itself only when
everything it needs is already in this worker's memory:

- the caller's API key was verified recently (`KeyRing.remembered`), or its access token verifies
  and its key is not revoked;
- the full stack has answered this caller this exact path and query string
  (`serving.cache.learned_reads`), so routing, validation, tier and tenant rules were all
  applied once;
- the data version is pushed by Postgres (`DatasetVersions` live) and the answer for it is held
  by this worker (`ResponseCache.local`): never stale, as on the full stack; or, while the
  warehouse breaker is open, the last version's answer, served stale with a `Warning` header
  exactly as the full stack's stale-if-error serves it;
- the tier's rate limit admits the request (`RateLimiter.hit`, from a lease when there is one).

A known caller's new query goes to the direct path of new reads (`serving.api.direct_reads`),
when there is one. Anything else (a refusal, an error, a query neither path takes) goes down the
full stack unchanged, so every status other than 200 and 304 is FastAPI's. Its answers are
counted in the metrics and the caller's usage like the full stack's (`RequestAccounting`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from starlette.types import Scope, Send

from serving.api.answers import RawHeaders, raw_answer_headers
from serving.api.deps import ServingState, limit_for
from serving.cache.learned_reads import LearnedRead
from serving.cache.responses import CachedAnswer
from serving.core.observability import RequestAccounting
from serving.security.tokens import InvalidToken, is_access_token
from wedsync.api_keys import Principal

#: Answers a known caller's request the hot path does not hold (`serving.api.direct_reads`):
#: (state, caller, scope, send, its `If-None-Match`, when it started) -> True once answered.
NewReads = Callable[[ServingState, Principal, Scope, Send, str | None, float], Awaitable[bool]]


def _credential_and_etag(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The bearer credential and the `If-None-Match` value of a request, when present."""
    credential = if_none_match = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, presented = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and presented:
                credential = presented.strip()
        elif name == b"if-none-match":
            if_none_match = value.decode("latin-1")
    return credential, if_none_match


def _known_caller(state: ServingState, credential: str) -> Principal | None:
    """The caller when known without the database; None sends the request down the full stack.

    Which also answers every refusal (a non-ASCII, forged, expired or revoked credential).
    """
    if not credential.isascii():
        return None
    if is_access_token(credential):
        try:
            principal = state.tokens.verify(credential)
        except InvalidToken:
            return None
        return None if state.revocations.is_revoked(principal.key_id) else principal
    return state.keys.remembered(credential)


def _served_version(state: ServingState, dataset: str) -> tuple[int | None, bool]:
    """The data version to answer at, and whether that answer is stale; None: full stack.

    The version pushed by Postgres while its listener is live. While the warehouse breaker is
    open, the last version this worker served, answered stale (`Warning`) as the full stack's
    stale-if-error does: with Postgres down a cached read then costs what a hot read costs and
    never reaches the pool (issue 16's 50 ms bound). Otherwise (the listener reconnecting,
    Postgres up) the full stack reads the version.
    """
    pushed = state.versions.current(dataset)
    if pushed is not None:
        return pushed, False
    if state.pool.breaker.is_open:
        return state.last_versions.get(dataset), True
    return None, False


async def send_answer(
    send: Send,
    answer: CachedAnswer,
    cache_status: str,
    version: int,
    stale: bool,
    rate_headers: RawHeaders,
    if_none_match: str | None,
) -> int:
    """Send a cached answer (304 when `If-None-Match` matches its ETag); its status."""
    if if_none_match == answer.etag:
        status, body, length = 304, b"", None
    else:
        status, body, length = 200, answer.body, len(answer.body)
    headers = raw_answer_headers(answer.etag, cache_status, version, stale, length)
    await send({"type": "http.response.start", "status": status, "headers": headers + rate_headers})
    await send({"type": "http.response.body", "body": body})
    return status


def _held(
    state: ServingState, principal: Principal, scope: Scope
) -> tuple[LearnedRead, int, CachedAnswer, bool] | None:
    """The learned read, data version and answer this worker holds for the request, and
    whether that answer is stale (see `_served_version`), if it holds one."""
    read = state.reads.recall(principal, scope["path"], scope["query_string"])
    if read is None:
        return None
    version, stale = _served_version(state, read.dataset)
    if version is None:
        return None
    answer = state.cache.local.get(state.cache.key(principal.tenant, version, read.query))
    return None if answer is None else (read, version, answer, stale)


class HotReads:
    """Answers repeated cached GETs from this worker's memory."""

    def __init__(
        self,
        state: Callable[[], ServingState | None],
        accounting: RequestAccounting,
        new_reads: NewReads | None = None,
    ) -> None:
        self._state = state
        self._accounting = accounting
        self._new_reads = new_reads

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer the request if everything is at hand; False (nothing sent) otherwise."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        state = self._state()
        if state is None:
            return False
        started = time.perf_counter()
        credential, if_none_match = _credential_and_etag(scope["headers"])
        if credential is None:
            return False
        principal = _known_caller(state, credential)
        if principal is None:
            return False
        held = _held(state, principal, scope)
        if held is None:
            # With the warehouse breaker open a new read could only fail: the full stack
            # answers it (503, or stale-if-error).
            if self._new_reads is None or state.pool.breaker.is_open:
                return False
            return await self._new_reads(state, principal, scope, send, if_none_match, started)
        read, version, answer, stale = held
        rate_headers: RawHeaders = ()
        limit = limit_for(state, principal)
        if limit is not None:
            decision = await state.limiter.hit(principal.tenant, limit)
            if not decision.allowed:
                return False  # the full stack refuses it (a refused request is not counted)
            rate_headers = decision.raw_headers()
        if not stale:
            state.last_versions[read.dataset] = version
        status = await send_answer(send, answer, "hit", version, stale, rate_headers, if_none_match)
        self._accounting.metrics.hot_reads += 1
        self._accounting.record("GET", read.route, status, time.perf_counter() - started, principal)
        return True
