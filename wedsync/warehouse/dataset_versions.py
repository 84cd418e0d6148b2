"""Versions of the data sets the API serves, kept in `app.dataset_versions`.

The serving cache puts the version in every key, so bumping it after a build makes every
cached answer built from older marts unreachable at once: nothing stale is served, and no
one has to find and delete the old keys (they expire on their own).
"""

from __future__ import annotations

import psycopg

#: The marts behind `GET /api/analytics/metrics` (vendor, seasonal, daily activity, funnel).
ANALYTICS_DATASET = "analytics"
#: The channel a trigger on `app.dataset_versions` notifies with `<dataset>:<version>`.
VERSION_CHANNEL = "wedsync_dataset_versions"

_BUMP = """
insert into app.dataset_versions as v (dataset, version) values (%s, 1)
on conflict (dataset) do update set version = v.version + 1, updated_at = now()
returning version
"""
_READ = "select version from app.dataset_versions where dataset = %s"


def bump_dataset_version(conn: psycopg.Connection, dataset: str) -> int:
    """Move `dataset` to its next version (1 on first build) and return it, committed."""
    with conn.transaction():
        row = conn.execute(_BUMP, (dataset,)).fetchone()
    assert row is not None  # insert ... returning always yields the row
    return int(row[0])


def read_dataset_version(conn: psycopg.Connection, dataset: str) -> int:
    """The current version of `dataset` (0 before its first build)."""
    row = conn.execute(_READ, (dataset,)).fetchone()
    return int(row[0]) if row else 0


async def read_dataset_version_async(conn: psycopg.AsyncConnection, dataset: str) -> int:
    """`read_dataset_version` for the API's async connections."""
    cursor = await conn.execute(_READ, (dataset,))
    row = await cursor.fetchone()
    return int(row[0]) if row else 0
