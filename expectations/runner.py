"""Run catalogue rules through GX and hand back plain, structured outcomes.

An outcome is either a measurement (rows examined, rows breaking the rule, each offending row's
key and value) or a pipeline error (GX could not evaluate the rule). The two never mix: an
exception inside GX or a missing column is reported as an error with its text, never as dirty
data, so nothing is quarantined on the strength of a broken query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from great_expectations.core import ExpectationValidationResult

from expectations.rule import Rule
from expectations.suite import QualitySuite

Verdict = Literal["passed", "tolerated", "blocking", "pipeline_error"]


@dataclass(frozen=True)
class Offender:
    """One raw row that breaks a rule: its key and the value that broke it."""

    row_key: str
    value: str | None


@dataclass(frozen=True)
class RuleOutcome:
    """What one evaluation of a rule found."""

    rule: Rule
    element_count: int = 0
    unexpected_count: int = 0
    offenders: tuple[Offender, ...] = ()
    error: str | None = None

    @property
    def unexpected_pct(self) -> float:
        """Share of examined rows breaking the rule, in percent (0 when nothing was examined)."""
        if not self.element_count:
            return 0.0
        return 100.0 * self.unexpected_count / self.element_count

    @property
    def passed(self) -> bool:
        """No row breaks the rule and the rule could be evaluated."""
        return self.error is None and self.unexpected_count == 0

    @property
    def verdict(self) -> Verdict:
        """How the platform treats the outcome (see the catalogue's module docstring).

        A warn rule is at most `tolerated`; an error rule is `blocking` only when more than
        its `max_unexpected_pct` of the rows break it.
        """
        if self.error is not None:
            return "pipeline_error"
        if self.unexpected_count == 0:
            return "passed"
        if self.rule.severity == "error" and self.unexpected_pct > self.rule.max_unexpected_pct:
            return "blocking"
        return "tolerated"


def _exception_text(result: ExpectationValidationResult) -> str | None:
    """The first GX exception message in a result, if any (GX nests them per metric)."""
    info: dict[str, Any] = result.exception_info or {}
    reports = [info] if "raised_exception" in info else list(info.values())
    for report in reports:
        if isinstance(report, dict) and report.get("raised_exception"):
            return str(report.get("exception_message") or "GX raised an exception")
    return None


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def outcome_from_result(rule: Rule, result: ExpectationValidationResult) -> RuleOutcome:
    """Turn one GX expectation result into a rule outcome (offenders deduplicated by key)."""
    error = _exception_text(result)
    if error is not None:
        return RuleOutcome(rule, error=f"{rule.rule_id}: {error}")
    details = result.result
    if "element_count" not in details:
        return RuleOutcome(rule, error=f"{rule.rule_id}: GX returned no element count")
    offenders: dict[str, Offender] = {}
    for row in details.get("unexpected_index_list") or []:
        key = str(row[rule.row_key])
        offenders.setdefault(key, Offender(key, _as_text(row.get(rule.column))))
    unexpected_count = int(details.get("unexpected_count") or 0)
    if unexpected_count and not offenders:
        # Syncing an empty offender list would release every quarantined row of the rule.
        return RuleOutcome(
            rule, error=f"{rule.rule_id}: GX counted {unexpected_count} rows but named none"
        )
    return RuleOutcome(
        rule,
        element_count=int(details["element_count"]),
        unexpected_count=unexpected_count,
        offenders=tuple(offenders.values()),
    )


def run_rule(suite: QualitySuite, rule: Rule) -> RuleOutcome:
    """Evaluate one rule against the current raw rows; any GX failure becomes an error outcome."""
    try:
        validation = suite.validate(rule)
    except Exception as exc:  # any failure inside GX is a pipeline error, by contract
        return RuleOutcome(rule, error=f"{rule.rule_id}: {type(exc).__name__}: {exc}")
    if len(validation.results) != 1:
        return RuleOutcome(
            rule, error=f"{rule.rule_id}: expected 1 GX result, got {len(validation.results)}"
        )
    return outcome_from_result(rule, validation.results[0])
