"""One settings object for every part of the platform.

Values come from environment variables (see DESIGN.md), then from `.local/services.env`
(written by `wedsync services up` when it had to start embedded Postgres/Redis), then from
the documented defaults. Keeping that file as a fallback means a developer who ran
`make demo` once can call `wedsync ...`, `dbt` or `pytest` without sourcing anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = REPO_ROOT / ".local"
SERVICES_ENV_FILE = LOCAL_DIR / "services.env"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _services_env() -> dict[str, str]:
    """Read KEY=VALUE lines that `wedsync services up` left behind, if any."""
    if not SERVICES_ENV_FILE.exists():
        return {}
    values: dict[str, str] = {}
    for line in SERVICES_ENV_FILE.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[key.strip()] = value.strip()
    return values


DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/wedsync"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _lookup(name: str, default: str) -> str:
    return os.environ.get(name) or _services_env().get(name) or default


@dataclass(frozen=True)
class Settings:
    """Where the warehouse, Redis, MLflow, Dagster and the landing zone live."""

    database_url: str
    redis_url: str
    mlflow_tracking_uri: str
    dagster_home: Path
    landing_dir: Path

    @property
    def database_name(self) -> str:
        """The warehouse database name (the path of the URL)."""
        return urlparse(self.database_url).path.lstrip("/") or "postgres"

    def database_url_for(self, database: str) -> str:
        """The same server, another database (used to create the warehouse if missing)."""
        return urlparse(self.database_url)._replace(path=f"/{database}").geturl()

    @property
    def dagster_storage_database(self) -> str:
        """Database holding Dagster's runs, events and schedules in a deployment.

        Named after the warehouse (`wedsync` -> `wedsync_dagster`), so two warehouses on one
        server (a developer's second checkout, CI beside a demo) never share run history.
        """
        return f"{self.database_name}_dagster"

    def dagster_storage_url(self, database: str | None = None) -> str:
        """The URL `deploy/dagster.yaml` reads as `DAGSTER_PG_URL` (same server, own database).

        dagster-postgres sends `NOTIFY channel, :id`, which only psycopg2's client-side binding
        accepts; SQLAlchemy 2.1 would otherwise pick psycopg 3 for a plain `postgresql://` URL.
        """
        return self.database_url_for(database or self.dagster_storage_database).replace(
            "postgresql://", "postgresql+psycopg2://", 1
        )

    def dbt_env(self) -> dict[str, str]:
        """Environment variables that `dbt_project/profiles.yml` reads, derived from the URL."""
        url = urlparse(self.database_url)
        return {
            "WEDSYNC_PG_HOST": url.hostname or "127.0.0.1",
            "WEDSYNC_PG_PORT": str(url.port or 5432),
            "WEDSYNC_PG_USER": unquote(url.username or "postgres"),
            "WEDSYNC_PG_PASSWORD": unquote(url.password or ""),
            "WEDSYNC_PG_DATABASE": self.database_name,
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache after changing env vars)."""
    return Settings(
        database_url=_lookup("WEDSYNC_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=_lookup("WEDSYNC_REDIS_URL", DEFAULT_REDIS_URL),
        mlflow_tracking_uri=_lookup(
            "MLFLOW_TRACKING_URI", f"sqlite:///{LOCAL_DIR / 'mlflow' / 'mlflow.db'}"
        ),
        dagster_home=Path(_lookup("DAGSTER_HOME", str(LOCAL_DIR / "dagster"))),
        landing_dir=Path(_lookup("WEDSYNC_LANDING_DIR", str(LOCAL_DIR / "landing"))),
    )
