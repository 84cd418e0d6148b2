"""One asset check per catalogue rule on its raw asset, all built by the same factory.

Error rules are blocking: a check that fails with severity ERROR (more bad rows than the rule
tolerates) stops downstream assets in the same run. Within the tolerance the check fails with
severity WARN: the offending rows are quarantined and the batch is still used. A rule GX could
not evaluate fails the step (`dg.Failure`), so a broken check is never mistaken for dirty data.
In an export run the verdict counts the rows of the nights that run loaded (`scope.py`).
"""

import json
from typing import Any

import dagster as dg

from expectations.catalogue import RULES
from expectations.rule import Rule
from expectations.runner import RuleOutcome
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.defs.quality.scope import can_scope, export_dates_of_run, scoped_outcome

SAMPLE_SIZE = 20


def raw_asset_key(table: str) -> dg.AssetKey:
    """The ingestion (or live-events) asset holding `raw.<table>`."""
    return dg.AssetKey(["raw", table])


def check_severity(outcome: RuleOutcome) -> dg.AssetCheckSeverity:
    """ERROR (blocking) only for an error rule broken beyond its tolerance; WARN otherwise."""
    if outcome.verdict == "blocking":
        return dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckSeverity.WARN


def offenders_markdown(outcome: RuleOutcome, limit: int = SAMPLE_SIZE) -> str:
    """A markdown table of the first offending rows: key and value, for the Dagster UI."""
    rule = outcome.rule
    lines = [f"| {rule.row_key} | {rule.column} |", "|---|---|"]
    lines += [
        f"| {offender.row_key} | {'' if offender.value is None else offender.value} |"
        for offender in outcome.offenders[:limit]
    ]
    if len(outcome.offenders) > limit:
        lines.append(f"| … {len(outcome.offenders) - limit} more | |")
    return "\n".join(lines)


def check_metadata(outcome: RuleOutcome, data_docs_link: str) -> dict[str, Any]:
    """What a data engineer needs to act on a rule's result, as Dagster check metadata."""
    rule = outcome.rule
    metadata: dict[str, Any] = {
        "rule_id": rule.rule_id,
        "severity": rule.severity,
        "defect_type": rule.defect_type or "",
        "element_count": dg.MetadataValue.int(outcome.element_count),
        "unexpected_count": dg.MetadataValue.int(outcome.unexpected_count),
        "unexpected_pct": dg.MetadataValue.float(round(outcome.unexpected_pct, 4)),
        "thresholds": dg.MetadataValue.json(rule.thresholds),
        "quarantined_rows": dg.MetadataValue.int(
            len(outcome.offenders) if rule.severity == "error" else 0
        ),
        "data_docs": dg.MetadataValue.url(data_docs_link),
    }
    if outcome.offenders:
        metadata["offending_rows"] = dg.MetadataValue.md(offenders_markdown(outcome))
    return metadata


def build_rule_check(rule: Rule) -> dg.AssetChecksDefinition:
    """The asset check `raw/<table>:<rule_id>` for one catalogue rule."""

    @dg.asset_check(
        asset=raw_asset_key(rule.table),
        name=rule.rule_id,
        description=f"{rule.description} ({rule.severity}; {json.dumps(rule.thresholds)})",
        blocking=rule.blocking,
        additional_deps=[raw_asset_key(table) for table in rule.also_reads],
    )
    def rule_check(
        context: dg.AssetCheckExecutionContext, great_expectations: GreatExpectationsResource
    ) -> dg.AssetCheckResult:
        outcome = great_expectations.evaluate_and_record(rule)
        nights = export_dates_of_run(context.run.tags) if can_scope(rule) else None
        if nights is not None:
            outcome = scoped_outcome(outcome, great_expectations.night_keys(rule, *nights))
        if outcome.error is not None:
            raise dg.Failure(
                description=f"quality rule {rule.rule_id} could not run: {outcome.error}",
                metadata={"rule_id": rule.rule_id, "error": outcome.error},
            )
        context.log.info(
            f"{rule.rule_id}: {outcome.unexpected_count} of {outcome.element_count} rows "
            f"({outcome.unexpected_pct:.3f}%) -> {outcome.verdict}"
        )
        scope = f"{nights[0]}..{nights[1]}" if nights else "whole table"
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=check_severity(outcome),
            metadata={
                **check_metadata(outcome, great_expectations.data_docs_link),
                "export_dates": scope,
            },
        )

    return rule_check


rule_checks = [build_rule_check(rule) for rule in RULES]
