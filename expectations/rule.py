"""What a quality rule is: a GX expectation over a SQL query, with severity and tolerance.

The rules themselves are listed in `expectations.catalogue`; this module only holds their
shape, so that the catalogue reads as a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wedsync.warehouse.schema import RAW_TABLES

Severity = Literal["error", "warn"]

#: Share of a table's rows an error rule may flag before its check blocks downstream assets.
DEFAULT_MAX_UNEXPECTED_PCT = 5.0


@dataclass(frozen=True)
class Between:
    """Every non-null value of `column` lies within [min_value, max_value] (None: unbounded)."""

    column: str
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class MatchesPattern:
    """Every non-null value of `column` matches the regular expression `pattern`."""

    column: str
    pattern: str


@dataclass(frozen=True)
class NotNull:
    """No value of `column` is null (a parse or a lookup that found nothing)."""

    column: str


Expectation = Between | MatchesPattern | NotNull


@dataclass(frozen=True)
class Rule:
    """One wedding data-quality rule, checked by one GX expectation over `query`.

    `query` returns one row per raw row (newest export per key) with the row key, the reported
    `column` and the expectation's column; `key` defaults to the raw table's key column;
    `also_reads` names the other raw tables the query joins (they must be loaded first).
    """

    rule_id: str
    table: str
    severity: Severity
    column: str
    expectation: Expectation
    query: str
    description: str
    defect_type: str | None = None
    key: str = ""
    also_reads: tuple[str, ...] = ()
    max_unexpected_pct: float = DEFAULT_MAX_UNEXPECTED_PCT
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def row_key(self) -> str:
        """The column naming an offending row (the raw table's key unless set)."""
        return self.key or RAW_TABLES[self.table].key

    @property
    def blocking(self) -> bool:
        """Error rules block downstream assets when broken beyond their tolerance."""
        return self.severity == "error"

    @property
    def thresholds(self) -> dict[str, float | str]:
        """The rule's limits, as shown in check metadata and Data Docs."""
        limits: dict[str, float | str] = {
            name: value
            for name, value in vars(self.expectation).items()
            if name != "column" and value is not None
        }
        limits.update(self.parameters)
        if self.severity == "error":
            limits["max_unexpected_pct"] = self.max_unexpected_pct
        return limits
