"""Per-request bookkeeping outside the routes: Prometheus metrics, rate-limit headers, usage.

One pure ASGI middleware (no `BaseHTTPMiddleware`, which costs a task per request) times each
request, counts it per route template and status, copies the `X-RateLimit-*` headers the rate
limit dependency left in the request state onto the answer, and records the caller's usage.
`/metrics` renders the counters in the Prometheus text format (prometheus_client is not in
the dependency set; the format is a few lines). Figures are per worker process.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.limits.usage import UsageRecorder
from wedsync.api_keys import Principal

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
#: Keys of the request state the middleware reads (set by `serving.api.deps`).
PRINCIPAL_STATE = "principal"
HEADERS_STATE = "extra_headers"


class RequestMetrics:
    """Request counts per route and status, and a latency histogram per route."""

    def __init__(self) -> None:
        self.requests: defaultdict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: defaultdict[str, list[int]] = defaultdict(
            lambda: [0] * (len(LATENCY_BUCKETS) + 1)
        )
        self._sums: defaultdict[str, float] = defaultdict(float)
        #: Answers the hot path (`serving.api.hot_reads`) gave without the full stack.
        self.hot_reads = 0
        #: New queries the direct path (`serving.api.direct_reads`) answered without it.
        self.direct_reads = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        self.requests[(method, route, status)] += 1
        self._buckets[route][bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._sums[route] += seconds

    def render(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        lines = [
            "# HELP wedsync_api_requests_total Requests answered, by route template and status.",
            "# TYPE wedsync_api_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            lines.append(
                f'wedsync_api_requests_total{{method="{method}",route="{route}",'
                f'status="{status}"}} {count}'
            )
        lines += [
            "# HELP wedsync_api_hot_reads_total Cached answers given without the full stack.",
            "# TYPE wedsync_api_hot_reads_total counter",
            f"wedsync_api_hot_reads_total {self.hot_reads}",
            "# HELP wedsync_api_direct_reads_total New queries answered without the full stack.",
            "# TYPE wedsync_api_direct_reads_total counter",
            f"wedsync_api_direct_reads_total {self.direct_reads}",
            "# HELP wedsync_api_request_duration_seconds Time to answer, by route template.",
            "# TYPE wedsync_api_request_duration_seconds histogram",
        ]
        for route, counts in sorted(self._buckets.items()):
            cumulative = 0
            for bound, count in zip([*LATENCY_BUCKETS, "+Inf"], counts, strict=True):
                cumulative += count
                lines.append(
                    f'wedsync_api_request_duration_seconds_bucket{{route="{route}",'
                    f'le="{bound}"}} {cumulative}'
                )
            lines.append(
                f'wedsync_api_request_duration_seconds_sum{{route="{route}"}} '
                f"{self._sums[route]:.6f}"
            )
            lines.append(
                f'wedsync_api_request_duration_seconds_count{{route="{route}"}} {cumulative}'
            )
        return "\n".join(lines) + "\n"


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/suppliers/{supplier_id}/performance`)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestAccounting:
    """Counts an answered request in the metrics and, when the caller is known, in its usage."""

    def __init__(self, metrics: RequestMetrics, usage: Callable[[], UsageRecorder | None]) -> None:
        self.metrics = metrics
        self._usage = usage

    def record(
        self, method: str, route: str, status: int, seconds: float, principal: Principal | None
    ) -> None:
        """Count one answer of `route` (its path template) with its status and duration."""
        self.metrics.observe(method, route, status, seconds)
        usage = self._usage()
        if principal is not None and usage is not None:
            usage.record(principal, f"{method} {route}", status)


class ObservabilityMiddleware:
    """Times requests, adds the headers routes left in the state, records usage."""

    def __init__(self, app: ASGIApp, accounting: RequestAccounting) -> None:
        self.app = app
        self._accounting = accounting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                extra: dict[str, str] | None = state.get(HEADERS_STATE)
                if extra:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    message["headers"] = [
                        *message.get("headers", []),
                        *(
                            (name.lower().encode(), value.encode())
                            for name, value in extra.items()
                            if name.lower().encode() not in present
                        ),
                    ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self._accounting.record(
                scope["method"],
                route_template(scope),
                status_code,
                time.perf_counter() - started,
                state.get(PRINCIPAL_STATE),
            )
