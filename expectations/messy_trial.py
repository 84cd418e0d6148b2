"""The messy-export trial: the real loader and the real rule catalogue against defects nobody
wrote them for (`wedsync.messy_exports`), scored per kind.

The trial works in its own database: a copy of the raw tables the build's ingestion loaded
(the clean history), in which each damaged night is then re-loaded from its messy file exactly
as the ingestion assets load a night (`load_exports`, the one COPY loader, replacing that
night's rows), one file at a time so that one refused file is one loader detection. Then every
rule on the export tables runs through the GX suite the Dagster checks use (`run_rule`), warn
rules included: a warn rule's flags are what a data engineer sees in the check's metadata.
The loader's false alarms are the well-formed damaged files it refused.

Per kind and detector (a rule, or the loader): recall is the share of the kind's damaged rows
(of the rule's table) or files the detector flagged; precision is the share of everything the
rule flagged in the trial that is damaged (by any messy kind or by the simulator's injector);
false alarms are the clean rows it flagged, out of every clean row of its table.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
from psycopg import sql

from expectations.catalogue import RULES
from expectations.runner import run_rule
from expectations.scoring import injected_defects
from expectations.suite import QualitySuite
from wedsync.exports import truth_dir
from wedsync.messy_exports import (
    KINDS,
    KINDS_BY_NAME,
    generate_messy_exports,
    history_from_warehouse,
)
from wedsync.settings import get_settings
from wedsync.warehouse import RAW_TABLES, apply_schema, connect, ensure_database
from wedsync.warehouse.ingest import load_exports

LOADER = "loader"
#: Detectors shown per kind (the ones catching most of it).
DETECTORS_SHOWN = 2
#: A rule "catches" a kind only when it flags the kind's rows at least this many times as
#: often as clean rows: the 99th-percentile budget rule flags 1% of anything, defects or not.
CHANCE_FACTOR = 10.0

RowKey = tuple[str, str]


@dataclass(frozen=True)
class Detection:
    """How one detector did on one messy kind (`detector` empty: nothing caught any of it)."""

    kind: str
    detector: str
    table: str
    caught: int
    total: int
    precision: float | None = None
    false_alarms: int = 0
    clean: int = 0

    @property
    def false_alarm_share(self) -> float:
        """Share of the clean rows (or files) of the table the detector flagged."""
        return self.false_alarms / self.clean if self.clean else 0.0

    @property
    def recall(self) -> float:
        """Share of the kind's rows (or files) the detector flagged; 0 with nothing to catch."""
        return self.caught / self.total if self.total else 0.0


@dataclass(frozen=True)
class TrialResult:
    """Everything a trial measured: its truth, each rule's flags, the loader's refusals."""

    truth: pd.DataFrame
    flagged: dict[str, set[RowKey]]
    loader_errors: dict[tuple[str, dt.date], str]
    clean_rows: dict[str, set[str]]
    clean_files: int
    rule_errors: dict[str, str]
    detections: list[Detection]


def copy_raw_tables(source_url: str, trial_url: str) -> None:
    """Copy every raw export table of the loaded warehouse into the trial's (COPY both ways)."""
    with connect(source_url) as source, connect(trial_url) as trial:
        for name in RAW_TABLES:
            table = sql.Identifier("raw", name)
            with (
                source.cursor().copy(sql.SQL("copy {} to stdout").format(table)) as rows_out,
                trial.cursor().copy(sql.SQL("copy {} from stdin").format(table)) as rows_in,
            ):
                for block in rows_out:
                    rows_in.write(block)


def reload_damaged_nights(
    database_url: str, messy_landing: Path, nights: list[tuple[str, dt.date]]
) -> tuple[dict[tuple[str, dt.date], str], int]:
    """Load each damaged night's file on its own, replacing that night as a re-run would.

    Returns the loader's refusals (with their error) and how many files it accepted.
    """
    refusals: dict[tuple[str, dt.date], str] = {}
    accepted = 0
    with connect(database_url) as conn:
        for table, night in nights:
            try:
                load_exports(conn, table, messy_landing, [night])
            except Exception as exc:  # a refused file is the measurement, whatever its type
                refusals[(table, night)] = f"{type(exc).__name__}: {exc}"
            else:
                accepted += 1
    return refusals, accepted


def flag_rows(database_url: str, docs_dir: Path) -> tuple[dict[str, set[RowKey]], dict[str, str]]:
    """Every export-table rule's offending rows, run as the Dagster checks run it."""
    suite = QualitySuite(database_url, docs_dir)
    flagged: dict[str, set[RowKey]] = {}
    errors: dict[str, str] = {}
    for rule in RULES:
        if rule.table not in RAW_TABLES:
            continue
        outcome = run_rule(suite, rule)
        if outcome.error is not None:
            errors[rule.rule_id] = outcome.error
            continue
        flagged[rule.rule_id] = {(rule.table, offender.row_key) for offender in outcome.offenders}
    return flagged, errors


def _table_keys(database_url: str) -> dict[str, set[str]]:
    with connect(database_url) as conn:
        return {
            name: {
                str(key)
                for (key,) in conn.execute(
                    f"select distinct {table.key} from raw.{name}"  # names from RAW_TABLES
                ).fetchall()
            }
            for name, table in RAW_TABLES.items()
        }


def score_trial(
    truth: pd.DataFrame,
    injected: set[RowKey],
    flagged: dict[str, set[RowKey]],
    loader_errors: dict[tuple[str, dt.date], str],
    clean_rows: dict[str, set[str]],
    clean_files: int,
) -> list[Detection]:
    """Per kind, every detector that caught some of it (or one empty detection if none did)."""
    rows = truth[truth["row_key"].notna()]
    damaged = injected | set(zip(rows["table_name"], rows["row_key"], strict=True))
    detections = []
    for kind in KINDS:
        of_kind = truth[truth["kind"] == kind.name]
        found: list[Detection] = []
        files = of_kind[of_kind["row_key"].isna()]
        if len(files):
            nights = {
                (t, dt.date.fromisoformat(d))
                for t, d in zip(files["table_name"], files["export_date"], strict=True)
            }
            caught = len(nights & set(loader_errors))
            if caught:
                found.append(
                    Detection(
                        kind.name, LOADER, kind.table, caught, len(nights), 1.0, 0, clean_files
                    )
                )
        keyed = of_kind[of_kind["row_key"].notna()]
        for rule_id, rule_flags in flagged.items():
            table = next(rule.table for rule in RULES if rule.rule_id == rule_id)
            expected = {(table, key) for key in keyed.loc[keyed["table_name"] == table, "row_key"]}
            caught = len(rule_flags & expected)
            if not caught:
                continue
            detection = Detection(
                kind.name,
                rule_id,
                table,
                caught,
                len(expected),
                len(rule_flags & damaged) / len(rule_flags),
                sum(1 for _, key in rule_flags if key in clean_rows[table]),
                len(clean_rows[table]),
            )
            if detection.recall > CHANCE_FACTOR * detection.false_alarm_share:
                found.append(detection)
        if not any(d.table == kind.table for d in found):
            total = len(files) or int((keyed["table_name"] == kind.table).sum())
            found.append(Detection(kind.name, "", kind.table, 0, total))
        detections += sorted(found, key=lambda d: (-d.recall, d.detector))
    return detections


def _file_format(landing: Path) -> str:
    """The format the landing's exports are written in (the messy files use the same)."""
    first = next((landing / "exports").glob("*/*.*"), None)
    if first is None:
        raise ValueError(f"clean_landing: no export files in {landing}")
    return first.suffix.lstrip(".")


def run_messy_trial(
    clean_landing: Path, loaded_url: str, trial_url: str, work_dir: Path, *, seed: int = 12
) -> TrialResult:
    """Damage the clean exports that `loaded_url` holds, reload the damaged nights into
    `trial_url` (an empty database: it gets the schema and a copy of the raw tables), run
    every export rule there, and score every kind against the messy and injected truth."""
    with connect(trial_url) as conn:
        apply_schema(conn)
    copy_raw_tables(loaded_url, trial_url)
    with connect(trial_url) as conn:
        history = history_from_warehouse(conn, _file_format(clean_landing))
    injected = {(table, key) for _, table, key in injected_defects(truth_dir(clean_landing))}
    messy = work_dir / "messy_landing"
    truth = generate_messy_exports(history, injected, messy, seed=seed)
    files = truth[truth["row_key"].isna()]
    damaged_files = {
        (table, dt.date.fromisoformat(night))
        for table, night in zip(files["table_name"], files["export_date"], strict=True)
    }
    loader_errors, accepted = reload_damaged_nights(trial_url, messy, sorted(history.touched))
    clean_files = accepted - len(damaged_files - set(loader_errors))
    flagged, rule_errors = flag_rows(trial_url, work_dir / "data_docs")
    rows = truth[truth["row_key"].notna()]
    damaged = injected | set(zip(rows["table_name"], rows["row_key"], strict=True))
    clean_rows = {
        table: {key for key in keys if (table, key) not in damaged}
        for table, keys in _table_keys(trial_url).items()
    }
    detections = score_trial(truth, injected, flagged, loader_errors, clean_rows, clean_files)
    return TrialResult(
        truth, flagged, loader_errors, clean_rows, clean_files, rule_errors, detections
    )


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else "n/a"


def render_trial(result: TrialResult) -> list[str]:
    """The messy-export table as printable lines (for `make build`'s summary)."""
    lines = [
        "Quality rules vs messy exports they were not written for"
        " (recall on the kind's rows of the rule's table; precision = rule flags that are"
        " real defects; false alarms on clean rows):",
        f"  {'kind':<29} {'caught by':<38} {'recall':>16} {'precision':>9}  false alarms",
    ]
    shown: dict[str, int] = {}
    for found in result.detections:
        shown[found.kind] = shown.get(found.kind, 0) + 1
        if shown[found.kind] > DETECTORS_SHOWN:
            continue
        kind = KINDS_BY_NAME[found.kind]
        label = found.kind if shown[found.kind] == 1 else ""
        if not found.detector:
            lines.append(
                f"  {label:<29} not detectable by rule, because {kind.limits or 'no rule looks'}"
                f" (0 of {found.total})"
            )
            continue
        unit = "files" if found.detector == LOADER else found.table
        detector = "loader error" if found.detector == LOADER else found.detector
        recall = f"{found.recall:.1%} ({found.caught}/{found.total})"
        precision = "" if found.precision is None else f"{found.precision:.1%}"
        alarms = _share(found.false_alarms, found.clean)
        alarms += f" ({found.false_alarms} of {found.clean:,} {unit})"
        lines.append(f"  {label:<29} {detector:<38} {recall:>16} {precision:>9}  {alarms}")
        if shown[found.kind] == 1 and found.recall < 1 and kind.limits:
            lines.append(f"  {'':<29}   misses: {kind.limits}")
    lines += [f"  rule could not run: {error}" for error in result.rule_errors.values()]
    return lines


def _drop_database(database_url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    maintenance = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    with connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(str(name)))
        )


def messy_export_lines(clean_landing: Path | None = None) -> list[str]:
    """Run the trial on the configured landing zone in a scratch database beside the warehouse
    (`<warehouse>_messy_trial`, dropped afterwards) and return the table's lines."""
    settings = get_settings()
    database_url = settings.database_url_for(f"{settings.database_name}_messy_trial")
    _drop_database(database_url)
    ensure_database(database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="wedsync_messy_") as work:
            result = run_messy_trial(
                clean_landing or settings.landing_dir,
                settings.database_url,
                database_url,
                Path(work),
            )
    finally:
        _drop_database(database_url)
    return render_trial(result)
