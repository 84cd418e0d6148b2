"""The one way to open a warehouse connection."""

from __future__ import annotations

import psycopg
from psycopg import sql

from wedsync.settings import get_settings


def connect(database_url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a psycopg connection to the warehouse (or to `database_url` when given)."""
    return psycopg.connect(database_url or get_settings().database_url, autocommit=autocommit)


def ensure_database(database_url: str | None = None) -> bool:
    """Create the warehouse database if it does not exist; return True when it was created.

    Connects to the server's `postgres` maintenance database, because a database cannot be
    created from a connection to itself.
    """
    settings = get_settings()
    url = database_url or settings.database_url
    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname") or settings.database_name
    maintenance_url = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(str(name))))
        return True
