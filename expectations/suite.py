"""The catalogue as a Great Expectations (GX Core 1.x) project: one suite per rule.

Every rule becomes a DataFrame asset on a pandas data source, a whole-dataframe batch
definition, a suite holding its one expectation and a validation definition binding the two, so
a rule can be validated on its own (one Dagster check per rule) and still shows in Data Docs as
`raw/<table>/<rule_id>`.

Postgres does the parsing and joining: each evaluation runs the rule's query once and hands
the rows to GX as a DataFrame. Pointing GX's SQL data source at the same query re-ran it for
every metric (row count, null count, unexpected count, values, keys): 45 s for the catalogue
on the demo data set, against a few seconds this way.

Column-map expectations are used throughout, including for the cross-table rules (their query
derives the column to test), because they return every offending row's key with
`unexpected_index_column_names`; `UnexpectedRowsExpectation` stops at 200 rows, too few to
quarantine a broken export.

The ephemeral context lives in memory: validation results stay in the process that ran them,
which is the process that renders Data Docs from them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.rule import Between, MatchesPattern, NotNull, Rule
from wedsync.warehouse import connect

DATA_SOURCE_NAME = "wedsync_raw_rows"
DATA_DOCS_SITE = "wedsync"
_GX_SEVERITY = {"error": "critical", "warn": "warning"}


def suite_name(rule: Rule) -> str:
    """The GX suite of a rule (Data Docs group suites by their dotted names)."""
    return f"raw.{rule.table}.{rule.rule_id}"


def gx_expectation(rule: Rule) -> gxe.Expectation:
    """The GX expectation that checks `rule` on the rows of its query."""
    common: dict[str, Any] = {
        "description": rule.description,
        "severity": _GX_SEVERITY[rule.severity],
        "meta": {"rule_id": rule.rule_id, "defect_type": rule.defect_type},
    }
    spec = rule.expectation
    if isinstance(spec, Between):
        return gxe.ExpectColumnValuesToBeBetween(
            column=spec.column, min_value=spec.min_value, max_value=spec.max_value, **common
        )
    if isinstance(spec, MatchesPattern):
        return gxe.ExpectColumnValuesToMatchRegex(column=spec.column, regex=spec.pattern, **common)
    if isinstance(spec, NotNull):
        return gxe.ExpectColumnValuesToNotBeNull(column=spec.column, **common)
    raise TypeError(f"rule {rule.rule_id}: unsupported expectation {spec!r}")


def result_format(rule: Rule) -> dict[str, Any]:
    """COMPLETE results naming every offending row by its key and reported value."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": list(dict.fromkeys([rule.row_key, rule.column])),
        "return_unexpected_index_query": False,
    }


def read_rule_rows(database_url: str, rule: Rule) -> pd.DataFrame:
    """Run the rule's query once and return its rows (errors propagate to the caller)."""
    with connect(database_url) as conn:
        # The queries are small but look costly to the planner (window functions,
        # percentiles); JIT-compiling them costs about a second each and saves nothing.
        conn.execute("set jit = off")
        cursor = conn.execute(rule.query)
        columns = [column.name for column in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


class QualitySuite:
    """An ephemeral GX context holding every catalogue rule for one warehouse database."""

    def __init__(self, database_url: str, data_docs_dir: Path) -> None:
        self.database_url = database_url
        self.data_docs_dir = data_docs_dir
        self.context: AbstractDataContext = gx.get_context(mode="ephemeral")
        # GX draws a progress bar per validation; in Dagster logs and `make build` it is noise.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.add_data_docs_site(
            DATA_DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        self._source = self.context.data_sources.add_pandas(DATA_SOURCE_NAME)
        self._validations: dict[str, gx.ValidationDefinition] = {}

    def _validation(self, rule: Rule) -> gx.ValidationDefinition:
        """The rule's validation definition, registered on first use."""
        if rule.rule_id not in self._validations:
            asset = self._source.add_dataframe_asset(rule.rule_id)
            batch = asset.add_batch_definition_whole_dataframe("current_raw_rows")
            suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name(rule)))
            suite.add_expectation(gx_expectation(rule))
            self._validations[rule.rule_id] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=rule.rule_id, data=batch, suite=suite)
            )
        return self._validations[rule.rule_id]

    def validate(self, rule: Rule) -> ExpectationSuiteValidationResult:
        """Run the rule's suite against the current raw rows (any failure propagates)."""
        rows = read_rule_rows(self.database_url, rule)
        return self._validation(rule).run(
            batch_parameters={"dataframe": rows}, result_format=result_format(rule)
        )

    def build_data_docs(self) -> Path:
        """Render Data Docs for every validation run in this process; return the index page."""
        self.context.build_data_docs(site_names=[DATA_DOCS_SITE])
        return self.data_docs_dir / "index.html"


@lru_cache(maxsize=4)
def quality_suite(database_url: str, data_docs_dir: Path) -> QualitySuite:
    """The process's suite for a warehouse: GX set-up happens once, not once per check."""
    return QualitySuite(database_url, data_docs_dir)
