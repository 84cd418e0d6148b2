"""The months of raw.events: pg_partman's where the warehouse has it, else hand-written (issue 17).

Each test runs against real Postgres; the hand-written path is chosen by `WEDSYNC_PG_PARTMAN=off`
exactly as a Postgres without the package would choose it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.integration.wedsync.test_event_store import ingest
from tests.support import choose_partitioning, throwaway_database
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.event_tables import MONTHS_AHEAD, next_month
from wedsync.warehouse.partman import partman_manages_events

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

#: A month long before any made ahead: its partition is made when its first event arrives.
LATE = dt.datetime(2023, 2, 14, 9, 30, tzinfo=dt.UTC)
#: As early as the contract takes an event (24 h ahead): a month made ahead at the month's end.
EARLY = dt.timedelta(hours=23)


def today() -> dt.date:
    """Today when the test runs (a module-level one went stale in a suite run that crossed
    midnight into a new month)."""
    return dt.datetime.now(dt.UTC).date()


#: A month's partition as the hand-written path names it (pg_partman's is `events_p2026_11`).
HAND_WRITTEN_NAME = re.compile(r"events_p[0-9]{6}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def database_url(partitioning: str) -> Iterator[str]:
    with throwaway_database("wedsync_partitions") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


def children(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'raw.events'::regclass order by 1"
    ).fetchall()
    return [row[0] for row in rows]


def event(occurred_at: dt.datetime) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "profile_view",
        "occurred_at": occurred_at.isoformat(),
        "supplier_id": "sup_000001",
        "properties": {},
    }


def test_pg_partman_makes_the_coming_months_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    choose_partitioning("pg_partman", monkeypatch)
    with throwaway_database("wedsync_partitions") as url, connect(url) as conn:
        apply_schema(conn)
        config = conn.execute(
            "select partition_interval::interval = interval '1 month', premake, "
            "infinite_time_partitions, retention_keep_table "
            "from partman.part_config where parent_table = 'raw.events'"
        ).fetchone()
        names = children(conn)
    assert config == (True, MONTHS_AHEAD, True, False)
    month = today().replace(day=1)
    for _ in range(MONTHS_AHEAD + 1):
        assert f"events_p{month:%Y_%m}" in names
        month = next_month(month)
    assert "events_default" in names
    assert not [name for name in names if HAND_WRITTEN_NAME.fullmatch(name)]


def test_without_pg_partman_the_months_are_hand_written_and_the_log_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    choose_partitioning("hand-written", monkeypatch)
    with throwaway_database("wedsync_partitions") as url, connect(url) as conn:
        with caplog.at_level(logging.WARNING, logger="wedsync.warehouse.partman"):
            apply_schema(conn)
        names = children(conn)
        extension = conn.execute("select 1 from pg_extension where extname = 'pg_partman'")
        assert extension.fetchone() is None
        assert not partman_manages_events(conn)
    assert f"events_p{today():%Y%m}" in names and "events_default" not in names
    assert "not pg_partman: WEDSYNC_PG_PARTMAN=off" in caplog.text


async def test_each_event_is_stored_once_in_its_own_month(
    partitioning: str, database_url: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    events: list[object] = [event(LATE), event(now + EARLY), event(now)]
    assert await ingest(database_url, events) == (3, 0)
    assert await ingest(database_url, events) == (0, 3)  # a replay stores nothing twice
    with connect(database_url) as conn:
        rows = conn.execute(
            "select occurred_at, tableoid::regclass::text from raw.events order by 1"
        ).fetchall()
        managed = partman_manages_events(conn)
    assert managed == (partitioning == "pg_partman")
    suffix = "%Y_%m" if managed else "%Y%m"
    assert [partition for _, partition in rows] == [
        f"raw.events_p{moment:{suffix}}" for moment, _ in rows
    ]
    assert len(rows) == 3


async def test_an_event_left_in_the_default_partition_moves_to_its_month(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An insert that skipped the ingest path lands in pg_partman's default partition, kept;
    the next batch for that month moves it into the month's partition, next to the new one."""
    choose_partitioning("pg_partman", monkeypatch)
    with throwaway_database("wedsync_partitions") as url:
        with connect(url) as conn:
            apply_schema(conn)
            conn.execute(
                "insert into raw.events (event_id, event_type, occurred_at, supplier_id, "
                "properties) values (%s, 'profile_view', %s, 'sup_000001', '{}')",
                (uuid.uuid4(), LATE),
            )
            conn.commit()
        assert await ingest(url, [event(LATE + dt.timedelta(days=1))]) == (1, 0)
        with connect(url) as conn:
            rows = conn.execute("select tableoid::regclass::text from raw.events_p2023_02")
            in_month = rows.fetchall()
            in_default = conn.execute("select count(*) from raw.events_default").fetchone()
    assert len(in_month) == 2
    assert in_default == (0,)


def test_a_warehouse_with_hand_written_months_is_taken_over_by_pg_partman(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    choose_partitioning("hand-written", monkeypatch)
    with throwaway_database("wedsync_partitions") as url, connect(url) as conn:
        apply_schema(conn)
        conn.execute("select app.create_event_partition(%s)", (LATE.date(),))
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, "
            "properties) values (%s, 'profile_view', %s, 'sup_000001', '{}')",
            (uuid.uuid4(), LATE),
        )
        conn.commit()
        choose_partitioning("pg_partman", monkeypatch)
        apply_schema(conn)
        conn.commit()
        names = children(conn)
        stored = conn.execute("select tableoid::regclass::text from raw.events").fetchall()
        assert partman_manages_events(conn)
    assert stored == [("raw.events_p2023_02",)]
    assert f"events_p{today():%Y_%m}" in names
    assert not [name for name in names if HAND_WRITTEN_NAME.fullmatch(name)]
