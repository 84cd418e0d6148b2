"""The direct path of new reads: a known caller's new query answered without FastAPI's stack.

An uncached metrics answer cost ~2.1 ms of worker CPU, and a third of it was not the answer:
FastAPI's dependency solving and validation, routing, Starlette's middleware and the request and
response objects (py-spy, issue 15). Like the hot path of cached reads (`serving.api.hot_reads`),
which hands it the requests it does not hold, this path answers a request itself only when it
needs nothing FastAPI does for it:

- the caller is known without the database (`hot_reads._known_caller`: a key verified recently
  by the full stack, or an access token whose key is not revoked);
- the route registered a parser (`DirectRoute`) and the parser accepts the query string as the
  route itself would, applying the route's own rules (which supplier a caller sees, the date
  range); every parameter it does not know, repeats or cannot read exactly as the route's
  validation would goes down the full stack;
- the tier's rate limit admits the request (counted once: a request handed on afterwards is
  marked as counted, `serving.api.deps.CHARGED_STATE`).

The answer is then the full stack's: the same cache key, computation in the caller's tenant
scope, headers and accounting (`serving.api.answers.current_answer`). Refusals and errors
(another supplier's id, a bad date, a limit reached, Postgres down, marts not built) are all
answered by the full stack, so every status other than 200 and 304 is FastAPI's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.types import Scope, Send

from serving.analytics.marts import MartsNotBuilt
from serving.api.answers import UNREADABLE, Compute, RawHeaders, current_answer
from serving.api.deps import CHARGED_STATE, ServingState, limit_for
from serving.api.hot_reads import send_answer
from serving.cache.learned_reads import LearnedRead
from serving.core.observability import HEADERS_STATE, RequestAccounting
from wedsync.api_keys import Principal


@dataclass(frozen=True)
class DirectRead:
    """What a route makes of a request: the dataset, normalized query and computation."""

    dataset: str
    query: str  # normalized parameters (`serving.cache.responses.normalize_query`)
    compute: Compute


#: What the full stack answers after all (a stale answer, or 503 with the reason).
HANDED_ON: tuple[type[Exception], ...] = (*UNREADABLE, MartsNotBuilt)
#: A route's parser: (state, caller, raw query string) -> its read, or None (full stack).
DirectRoute = Callable[[ServingState, Principal, bytes], DirectRead | None]


def single_values(query_string: bytes, names: Collection[str]) -> dict[str, str] | None:
    """The query's parameters by name, decoded as Starlette decodes them.

    None when a name is not one of `names` or is given twice: FastAPI ignores the first and
    keeps the last, and the full stack is left to do that.
    """
    values: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name not in names or name in values:
            return None
        values[name] = value
    return values


class DirectReads:
    """Answers known callers' new queries on the routes that registered a parser."""

    def __init__(self, routes: Mapping[str, DirectRoute], accounting: RequestAccounting) -> None:
        # Keyed by exact path: only routes without path parameters, whose template is the path.
        self._routes = dict(routes)
        self._accounting = accounting

    async def answer(
        self,
        state: ServingState,
        principal: Principal,
        scope: Scope,
        send: Send,
        if_none_match: str | None,
        started: float,
    ) -> bool:
        """Answer the request if its route takes it directly; False (nothing sent) otherwise."""
        path: str = scope["path"]
        route = self._routes.get(path)
        if route is None:
            return False
        read = route(state, principal, scope["query_string"])
        if read is None:
            return False
        decision = None
        limit = limit_for(state, principal)
        if limit is not None:
            decision = await state.limiter.hit(principal.tenant, limit)
            if not decision.allowed:
                return False  # the full stack refuses it (a refused request is not counted)
        query = f"{path}?{read.query}"
        try:
            answer, cache_status, version = await current_answer(
                state, read.dataset, principal, query, read.compute
            )
        except HANDED_ON:
            # The full stack answers these (a stale answer, or 503 with the reason); the
            # request is counted already.
            request_state = scope.setdefault("state", {})
            request_state[CHARGED_STATE] = principal
            request_state[HEADERS_STATE] = {} if decision is None else decision.headers()
            return False
        state.reads.learn(
            principal,
            path,
            scope["query_string"],
            LearnedRead(route=path, dataset=read.dataset, query=query),
        )
        rate_headers: RawHeaders = () if decision is None else decision.raw_headers()
        status = await send_answer(
            send, answer, cache_status, version, False, rate_headers, if_none_match
        )
        self._accounting.metrics.direct_reads += 1
        self._accounting.record("GET", path, status, time.perf_counter() - started, principal)
        return True
