"""The one-screen summary `make build` prints: rows per mart, checks, model metrics, rule scores."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
from mlflow.tracking import MlflowClient
from psycopg import sql

from expectations.messy_trial import messy_export_lines
from expectations.scoring import score_against_truth
from ml.couple_journey_truth import couple_journey_section
from ml.couple_models_truth import couple_models_section
from ml.demand.report import forecast_summary_lines
from ml.market_gaps_truth import market_gaps_section
from ml.registry import REGISTERED_MODEL, champion_version, use_tracking
from ml.truth_report import honest_numbers_section
from wedsync.exports import truth_dir
from wedsync.settings import get_settings
from wedsync.warehouse import connect

SUMMARY_SCHEMAS = ("marts", "features", "predictions")


@dataclass
class BuildSummary:
    """What a build produced, gathered once so it can be printed or asserted on."""

    seconds: float
    runs: list[tuple[str, bool]]
    table_rows: dict[str, int]
    checks: Counter[str]
    failed_checks: list[str]
    model_metrics: dict[str, float] = field(default_factory=dict)
    model_version: str | None = None
    rule_scores: list[tuple[str, str, float, float]] = field(default_factory=list)
    messy_exports: list[str] = field(default_factory=list)
    forecast_lines: list[str] = field(default_factory=list)
    honest_numbers: list[str] = field(default_factory=list)
    market_gaps: list[str] = field(default_factory=list)
    couple_journey: list[str] = field(default_factory=list)
    couple_models: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The summary as text for a terminal."""
        outcome = "OK" if all(ok for _, ok in self.runs) else "FAILED"
        runs = ", ".join(f"{name}: {'ok' if ok else 'failed'}" for name, ok in self.runs)
        lines = [f"WedSync build: {outcome} in {self.seconds:.0f}s ({runs})"]
        lines.append("Rows per table:")
        lines += [f"  {name:<42} {rows:>9,}" for name, rows in sorted(self.table_rows.items())]
        lines.append(
            "Checks: "
            + ", ".join(f"{status} {count}" for status, count in sorted(self.checks.items()))
        )
        lines += [f"  failed: {name}" for name in self.failed_checks[:8]]
        if self.model_metrics:
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in sorted(self.model_metrics.items()))
            lines.append(f"Model booking_probability v{self.model_version} (champion): {metrics}")
        if self.rule_scores:
            lines.append("Quality rules vs injected defects (precision / recall):")
            lines += [
                f"  {rule:<34} {defect:<28} {p:6.1%} / {r:6.1%}"
                for rule, defect, p, r in self.rule_scores
            ]
        lines += self.messy_exports
        lines += self.forecast_lines
        lines += self.honest_numbers
        lines += self.market_gaps
        lines += self.couple_journey
        lines += self.couple_models
        return "\n".join(lines)


def _table_rows() -> dict[str, int]:
    with connect() as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) order by 1, 2",
            (list(SUMMARY_SCHEMAS),),
        ).fetchall()
        rows = {}
        for schema, table in tables:
            count = conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
            ).fetchone()
            rows[f"{schema}.{table}"] = count[0] if count else 0
    return rows


def _checks(runs: list[dg.ExecuteInProcessResult]) -> tuple[Counter[str], list[str]]:
    statuses: Counter[str] = Counter()
    failed = []
    for run in runs:
        for evaluation in run.get_asset_check_evaluations():
            if evaluation.passed:
                statuses["passed"] += 1
                continue
            severity = evaluation.severity.value.lower()
            statuses[f"failed ({severity})"] += 1
            failed.append(
                f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} [{severity}]"
            )
    return statuses, failed


def _champion_metrics() -> tuple[str | None, dict[str, float]]:
    """The champion's version and its test and oracle metrics, as logged in its MLflow run."""
    use_tracking(get_settings().mlflow_tracking_uri)
    client = MlflowClient()
    version = champion_version(client)
    if version is None:
        return None, {}
    run_id = client.get_model_version(REGISTERED_MODEL, version).run_id
    logged = client.get_run(run_id).data.metrics if run_id else {}
    wanted = (
        "test_roc_auc",
        "test_brier",
        "test_accuracy",
        "oracle_roc_auc",
        "oracle_brier",
        "roc_auc_gap",
        "brier_vs_oracle",
    )
    return version, {name: logged[name] for name in wanted if name in logged}


def _rule_scores() -> list[tuple[str, str, float, float]]:
    """Precision and recall of each quality rule against the simulator's injected defects."""
    with connect() as conn:
        scores = score_against_truth(conn, truth_dir(get_settings().landing_dir))
    return [(s.rule_id, s.defect_type, s.precision, s.recall) for s in scores]


def _forecast_lines() -> list[str]:
    """The demand forecast per horizon against its baselines, as `ml.demand.report` prints it."""
    with connect() as conn:
        return forecast_summary_lines(conn)


def collect_summary(runs: list[dg.ExecuteInProcessResult], seconds: float) -> BuildSummary:
    """Gather the summary of a build from its runs, the warehouse and the model registry."""
    statuses, failed = _checks(runs)
    version, metrics = _champion_metrics()
    return BuildSummary(
        seconds=seconds,
        runs=[(run.job_def.name, run.success) for run in runs],
        table_rows=_table_rows(),
        checks=statuses,
        failed_checks=failed,
        model_metrics=metrics,
        model_version=version,
        rule_scores=_rule_scores(),
        messy_exports=messy_export_lines(),
        forecast_lines=_forecast_lines(),
        honest_numbers=honest_numbers_section(),
        market_gaps=market_gaps_section(),
        couple_journey=couple_journey_section(),
        couple_models=couple_models_section(),
    )
