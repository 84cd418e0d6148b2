"""Helpers shared by integration tests: throwaway databases on the configured server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from wedsync.settings import get_settings


def _maintenance_url() -> str:
    return psycopg.conninfo.make_conninfo(get_settings().database_url, dbname="postgres")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """Create a fresh database named `<prefix>_<random>`; yield its URL; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_maintenance_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield get_settings().database_url_for(name)
    finally:
        with psycopg.connect(_maintenance_url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
