"""The restore drill: back up, ingest two batches, restore to a moment between them, check.

On a private cluster with WAL archiving into a private pgBackRest repository: a full backup,
batch A acknowledged by the API, the moment T read from Postgres' clock, batch B acknowledged,
then a point-in-time restore to T into a new data directory, started on a port of its own.
Every event of A must be there and none of B. Prints the backup's size and time and the
restore's time (restore command + replay until the cluster promotes itself).

    python -m benchmarks.backup_drill                    # an empty warehouse
    python -m benchmarks.backup_drill --landing DIR --events 2000000
        # first every export `wedsync simulate` wrote to DIR (the COPY loader) and 2M live events
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from benchmarks.fault_servers import ApiServer, PrivatePostgres, PrivateRedis, own_by_postgres
from benchmarks.faults import fault_port, prepare_served_warehouse
from benchmarks.ingest import make_batch
from wedsync.backup import (
    BackupConfig,
    BackupRecord,
    backup_now,
    create_stanza,
    restore,
    write_config,
)
from wedsync.exports import export_dates
from wedsync.warehouse import connect
from wedsync.warehouse.ingest import load_exports
from wedsync.warehouse.schema import RAW_TABLES

BATCH_EVENTS = 1000
ARCHIVE_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class DrillFigures:
    """What the drill measured and found."""

    backup: BackupRecord
    restore_seconds: float
    before_target: int
    found_before: int
    after_target: int
    found_after: int
    preloaded_events: int
    database_bytes: int
    #: What `/readyz` said of the backup's age once it was taken.
    readyz_backup_seconds: float | None

    def lines(self) -> str:
        """The figures, printed by `main`."""
        return (
            f"warehouse            {self.database_bytes / 1e6:.1f} MB "
            f"(raw.events preloaded {self.preloaded_events:,})\n"
            f"full backup          {self.backup.size_bytes / 1e6:.1f} MB "
            f"({self.backup.repository_bytes / 1e6:.1f} MB in the repository) "
            f"in {self.backup.seconds:.1f} s\n"
            f"restore to T         {self.restore_seconds:.1f} s (restore + replay to T, promoted)\n"
            f"acked before T       {self.before_target}, restored {self.found_before}\n"
            f"acked after T        {self.after_target}, restored {self.found_after}"
        )


def _acknowledged(api: ApiServer, key: str, serial: int) -> list[str]:
    batch = make_batch(BATCH_EVENTS, 20, serial)
    response = httpx.post(
        f"{api.base_url}/api/events",
        content=batch.body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=60,
    )
    response.raise_for_status()
    return batch.event_ids


def _archive_everything(url: str) -> None:
    """Close the current WAL segment and wait until the archiver has pushed it."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select pg_walfile_name(pg_switch_wal())").fetchone()
        assert row is not None
        deadline = time.monotonic() + ARCHIVE_WAIT_SECONDS
        while time.monotonic() < deadline:
            archived = conn.execute("select last_archived_wal from pg_stat_archiver").fetchone()
            if archived and archived[0] and archived[0] >= row[0]:
                return
            time.sleep(0.2)
    raise RuntimeError(f"WAL segment {row[0]} was not archived within {ARCHIVE_WAIT_SECONDS} s")


def _preload(url: str, events: int) -> None:
    """Fill raw.events with `events` synthetic rows (a demo-sized warehouse to back up)."""
    if events <= 0:
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select app.create_event_partition('2026-06-01')")
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, couple_id, "
            "wedding_date, properties) "
            "select gen_random_uuid(), 'profile_view', '2026-06-01'::timestamptz "
            "+ (n % 2500000) * interval '1 second', 'sup_' || lpad((n % 2000)::text, 6, '0'), "
            "'cpl_' || (n % 100000), '2027-06-12', '{}'::jsonb "
            "from generate_series(1, %s) n",
            (events,),
        )


def _load_landing(url: str, landing: Path | None) -> None:
    """Load every export in `landing` with the one COPY loader (a demo-sized warehouse)."""
    if landing is None:
        return
    with connect(url) as conn:
        for entity in RAW_TABLES:
            load_exports(conn, entity, landing, export_dates(landing))


def _database_bytes(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0])


def _present(url: str, event_ids: list[str]) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select count(*) from raw.events where event_id = any(%s::uuid[])", (event_ids,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _wait_promoted(url: str) -> None:
    for _ in range(1200):
        try:
            with psycopg.connect(url, connect_timeout=1) as conn:
                row = conn.execute("select pg_is_in_recovery()").fetchone()
                if row is not None and not row[0]:
                    return
        except psycopg.OperationalError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the restored cluster did not finish recovery")


def drill(
    root: Path, port: int, preload_events: int = 0, landing: Path | None = None
) -> DrillFigures:
    """The whole drill under `root`; ports: `port` live, +1 Redis, +2 API, +3 restored."""
    root.chmod(0o755)  # the cluster's OS user must reach its directories
    config = BackupConfig(root / "pgbackrest" / "pgbackrest.conf", "wedsync")
    live = PrivatePostgres(root / "live", port, settings=config.archive_settings())
    restored = PrivatePostgres(root / "restored", port + 3)
    redis_server = PrivateRedis(port + 1)
    api: ApiServer | None = None
    try:
        live.init()
        write_config(
            config,
            repository=root / "pgbackrest" / "repo",
            data_dir=live.data_dir,
            port=port,
            socket_dir=live.root,
        )
        own_by_postgres(root / "pgbackrest")
        live.start()
        create_stanza(config)
        url = live.url("wedsync")
        platform_key, _ = prepare_served_warehouse(url)
        _load_landing(url, landing)
        _preload(url, preload_events)
        database_bytes = _database_bytes(url)
        record = backup_now(config, url)

        redis_server.start()
        api = ApiServer(port + 2, url, redis_server.url)
        api.start()
        readiness = httpx.get(f"{api.base_url}/readyz", timeout=10).json()
        before = _acknowledged(api, platform_key, 1)
        with psycopg.connect(url) as conn:
            moment = conn.execute("select clock_timestamp()").fetchone()
        assert moment is not None
        target: dt.datetime = moment[0]
        time.sleep(0.05)
        after = _acknowledged(api, platform_key, 2)
        _archive_everything(url)

        started = time.perf_counter()
        restore(config, target, restored.data_dir)
        restored.root.chmod(0o755)
        own_by_postgres(restored.root)
        restored.configure({"archive_mode": "off"})
        restored.start()
        _wait_promoted(restored.url())
        restore_seconds = time.perf_counter() - started
        restored_url = restored.url("wedsync")
        return DrillFigures(
            backup=record,
            restore_seconds=restore_seconds,
            before_target=len(before),
            found_before=_present(restored_url, before),
            after_target=len(after),
            found_after=_present(restored_url, after),
            preloaded_events=preload_events,
            database_bytes=database_bytes,
            readyz_backup_seconds=readiness["last_backup_seconds"],
        )
    finally:
        if api is not None:
            api.stop()
        redis_server.kill()
        restored.destroy()
        live.destroy()


def run_drill(preload_events: int = 0, landing: Path | None = None) -> DrillFigures:
    """The drill in a fresh directory under /tmp (reachable by the cluster's OS user)."""
    with tempfile.TemporaryDirectory(prefix="wedsync-drill-") as root:
        return drill(Path(root), fault_port() + 10, preload_events, landing)


def main() -> None:
    """Run the drill once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=0, help="raw.events rows to back up")
    parser.add_argument("--landing", type=Path, help="load these exports before the backup")
    args = parser.parse_args()
    print(run_drill(args.events, args.landing).lines())


if __name__ == "__main__":
    main()
