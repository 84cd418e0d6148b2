"""Rewrite the landing export files without the couples erased from the warehouse.

`app.erase_couple` queues each erased couple in `privacy.landing_erasures` with its pseudonym;
until its files are rewritten the COPY loader erases it again in every export it loads. This
rewrites every export file that names a queued couple the way the warehouse was rewritten
(the id replaced by the pseudonym, names and email nulled in the couples file), atomically per
file, and then forgets the queued couples: from then on the pseudonym exists nowhere but in the
data, and reloading any export date gives the same rows the erasure left.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wedsync.api_keys import record_audit
from wedsync.exports import export_dates, export_file
from wedsync.warehouse.erasure import COUPLE_EXPORTS, PERSONAL_FIELDS

_QUEUED = "select couple_id, pseudonym from privacy.landing_erasures for update"
_FORGET = "delete from privacy.landing_erasures where couple_id = any(%s)"


@dataclass(frozen=True)
class LandingErasure:
    """What rewriting the landing files did: couples forgotten, files and rows rewritten."""

    couples: int
    files: int
    rows: int


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` that replaces it (atomically) when the block succeeds."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    os.chmod(temporary, path.stat().st_mode)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _rewrite_parquet(path: Path, pseudonyms: dict[str, str]) -> int:
    table = pq.read_table(path)
    couple_ids = pc.cast(table["couple_id"], pa.string())
    named = pc.is_in(couple_ids, value_set=pa.array(list(pseudonyms), pa.string()))
    rows = pc.sum(named).as_py() or 0
    if not rows:
        return 0
    replaced = pa.array(
        [pseudonyms.get(couple, couple) for couple in couple_ids.to_pylist()], pa.string()
    )
    original = table.schema.field("couple_id").type
    table = table.set_column(
        table.schema.get_field_index("couple_id"), "couple_id", replaced.cast(original)
    )
    for field in PERSONAL_FIELDS:
        if field in table.column_names:
            column = table[field]
            blank = pc.if_else(named, pa.scalar(None, column.type), column)
            table = table.set_column(table.schema.get_field_index(field), field, blank)
    with _replacing(path) as temporary:
        pq.write_table(table, temporary)
    return rows


def _rewrite_csv(path: Path, pseudonyms: dict[str, str]) -> int:
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        lines = list(reader)
    if "couple_id" not in header:
        return 0
    couple = header.index("couple_id")
    personal = [header.index(field) for field in PERSONAL_FIELDS if field in header]
    rows = 0
    for line in lines:
        if couple < len(line) and line[couple] in pseudonyms:
            rows += 1
            line[couple] = pseudonyms[line[couple]]
            for index in personal:
                line[index] = ""
    if rows:
        with _replacing(path) as temporary, temporary.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(lines)
    return rows


def rewrite_export(path: Path, pseudonyms: dict[str, str]) -> int:
    """Rewrite one export file with each erased couple replaced; rows rewritten (0: untouched)."""
    if path.suffix == ".parquet":
        return _rewrite_parquet(path, pseudonyms)
    return _rewrite_csv(path, pseudonyms)


def erase_from_landing(conn: psycopg.Connection, landing_dir: Path, actor: str) -> LandingErasure:
    """Rewrite every export file naming a queued couple, then forget the queued couples.

    The queue rows stay locked while the files are rewritten, and are deleted (and the run
    audited as `retention.landing_erasures`) only once every file is, so a failure halfway
    leaves the couples queued (the loader keeps erasing them) and the next run finishes the job
    (rewriting is idempotent).
    """
    with conn.transaction():
        pseudonyms: dict[str, str] = dict(conn.execute(_QUEUED).fetchall())
        if not pseudonyms:
            return LandingErasure(couples=0, files=0, rows=0)
        files = rows = 0
        for export_date in export_dates(landing_dir):
            for entity in COUPLE_EXPORTS:
                path = export_file(landing_dir, export_date, entity)
                rewritten = rewrite_export(path, pseudonyms) if path is not None else 0
                files += rewritten > 0
                rows += rewritten
        conn.execute(_FORGET, (list(pseudonyms),))
        done = LandingErasure(couples=len(pseudonyms), files=files, rows=rows)
        record_audit(
            conn,
            actor,
            "retention.landing_erasures",
            str(landing_dir / "exports"),
            {"couples": done.couples, "files": done.files, "rows": done.rows},
        )
    return done
