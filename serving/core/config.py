"""The serving API's own settings: rate limits per tier, the JWT secret, its database role.

`wedsync.settings` says where the shared services are; this says how the API behaves. Values
come from environment variables so an operator can tune tiers without a release.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

from wedsync.settings import Settings

#: The database role the API connects as: it owns nothing and cannot bypass row-level security.
API_ROLE = "wedsync_api"
DEFAULT_RATE_LIMITS: dict[str, int | None] = {
    "free": 1,
    "professional": 100,
    "enterprise": None,  # no limit
    "platform": None,
}
#: Live-feed WebSockets a tenant may hold open at once, across workers
#: (`WEDSYNC_WS_CONNECTIONS_<TIER>`).
DEFAULT_WS_CONNECTIONS: dict[str, int | None] = {
    "free": 2,
    "professional": 50,
    "enterprise": 500,
    "platform": None,
}
#: Token exchanges (`/api/auth/token`, `/refresh`) per window, whatever the tier: each one
#: stores a refresh token, so even unlimited tiers are bounded.
AUTH_EXCHANGES_PER_WINDOW = 30


def _limit_from_env(tier: str, default: int | None, prefix: str = "RATE_LIMIT") -> int | None:
    """`WEDSYNC_<PREFIX>_<TIER>`: requests (or connections) per window, or `none` for no limit."""
    name = f"WEDSYNC_{prefix}_{tier.upper()}"
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() == "none":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer or 'none'; got {raw!r}")
    return int(raw)


def api_database_url(database_url: str) -> str:
    """The warehouse URL with the API's role as the user (`WEDSYNC_API_DATABASE_URL` wins)."""
    configured = os.environ.get("WEDSYNC_API_DATABASE_URL")
    if configured:
        return configured
    url = urlparse(database_url)
    host = url.netloc.rpartition("@")[2]
    return url._replace(netloc=f"{API_ROLE}@{host}").geturl()


def api_replica_database_url() -> str | None:
    """The streaming replica's URL with the API's role (`WEDSYNC_REPLICA_DATABASE_URL`), if any.

    Mart reads go there when set (`serving.core.replica`); ingest and everything else stays on
    the primary.
    """
    configured = os.environ.get("WEDSYNC_REPLICA_DATABASE_URL")
    if not configured:
        return None
    url = urlparse(configured)
    if url.scheme not in ("postgresql", "postgres") or not url.hostname:
        raise ValueError(
            f"WEDSYNC_REPLICA_DATABASE_URL must be a postgresql:// URL; got {url.scheme!r}"
        )
    host = url.netloc.rpartition("@")[2]
    return url._replace(netloc=f"{API_ROLE}@{host}").geturl()


def _workers_from_env() -> int:
    """`WEDSYNC_API_WORKERS` (else uvicorn's `WEB_CONCURRENCY`): how many workers serve."""
    for name in ("WEDSYNC_API_WORKERS", "WEB_CONCURRENCY"):
        raw = os.environ.get(name, "")
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{name} must be a positive integer; got {raw!r}")
            return int(raw)
    return 1


@dataclass(frozen=True)
class ServingConfig:
    """How the API behaves: limits per tier, the rate window, where it connects as `wedsync_api`."""

    api_database_url: str
    rate_limits: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_window_seconds: int = 60
    #: Suppliers with a wedding today or tomorrow never get less than this tier's limit.
    wedding_day_floor_tier: str = "professional"
    #: Concurrent live-feed WebSockets per tenant; new connections per window are ten times it.
    ws_connections: dict[str, int | None] = field(
        default_factory=lambda: dict(DEFAULT_WS_CONNECTIONS)
    )
    auth_exchanges: int = AUTH_EXCHANGES_PER_WINDOW
    #: Uvicorn workers sharing the limits: with Redis down each counts its share alone.
    workers: int = 1
    #: The streaming replica mart reads go to (as `wedsync_api`); None: the primary serves them.
    api_replica_database_url: str | None = None

    @classmethod
    def from_env(cls, settings: Settings) -> ServingConfig:
        """The configuration of `settings`' warehouse, with `WEDSYNC_RATE_*` overrides."""
        window = os.environ.get("WEDSYNC_RATE_WINDOW_SECONDS", "60")
        if not window.isdigit() or int(window) < 1:
            raise ValueError(
                f"WEDSYNC_RATE_WINDOW_SECONDS must be a positive integer; got {window!r}"
            )
        return cls(
            api_database_url=api_database_url(settings.database_url),
            rate_limits={
                tier: _limit_from_env(tier, default)
                for tier, default in DEFAULT_RATE_LIMITS.items()
            },
            rate_window_seconds=int(window),
            ws_connections={
                tier: _limit_from_env(tier, default, "WS_CONNECTIONS")
                for tier, default in DEFAULT_WS_CONNECTIONS.items()
            },
            workers=_workers_from_env(),
            api_replica_database_url=api_replica_database_url(),
        )
