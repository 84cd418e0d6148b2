"""Great Expectations as a Dagster resource (GX Core 1.x; `dagster-ge` only speaks GX 0.x)."""

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urljoin

import dagster as dg
from psycopg import sql
from pydantic import Field

from expectations.rule import Rule
from expectations.runner import RuleOutcome, run_rule
from expectations.store import record_outcome
from expectations.suite import QualitySuite, quality_suite
from orchestration.data_docs_site import DATA_DOCS_DIR, DATA_DOCS_URL_ENV
from orchestration.resources import WarehouseResource, warehouse_resource


class GreatExpectationsResource(dg.ConfigurableResource):
    """The wedding rule catalogue's GX suite on the warehouse, and where its Data Docs go.

    The warehouse is a nested resource so that the rules and the quarantine they write can
    never point at two different databases.
    """

    warehouse: WarehouseResource
    data_docs_dir: str
    data_docs_base_url: str | None = Field(
        default=None,
        description="URL `data_docs_dir` is served at (make demo's Data Docs site); "
        "unset, links point at the files.",
    )

    @property
    def data_docs_index(self) -> Path:
        """The Data Docs front page (rendered by the `quality/data_docs` asset)."""
        return Path(self.data_docs_dir) / "index.html"

    @property
    def data_docs_link(self) -> str:
        """The front page's address for the Dagster UI: over HTTP when a site serves it."""
        if self.data_docs_base_url:
            return urljoin(self.data_docs_base_url.rstrip("/") + "/", self.data_docs_index.name)
        return self.data_docs_index.as_uri()

    def suite(self) -> QualitySuite:
        """The process-wide GX suite of this warehouse (set up once per process)."""
        return quality_suite(self.warehouse.database_url, Path(self.data_docs_dir))

    def evaluate(self, rule: Rule) -> RuleOutcome:
        """Run one rule against the current raw rows, without recording anything."""
        return run_rule(self.suite(), rule)

    def evaluate_and_record(self, rule: Rule) -> RuleOutcome:
        """Run one rule, then append its history row and sync its quarantine rows."""
        outcome = self.evaluate(rule)
        with self.warehouse.connection() as conn:
            record_outcome(conn, outcome)
        return outcome

    def night_keys(self, rule: Rule, first: dt.date, last: dt.date) -> set[str]:
        """Keys of `rule.table`'s rows exported from `first` to `last` (the nights loaded)."""
        query = sql.SQL(
            "select distinct {key} from {table} where _export_date between %s and %s"
        ).format(key=sql.Identifier(rule.row_key), table=sql.Identifier("raw", rule.table))
        with self.warehouse.connection() as conn:
            return {str(row[0]) for row in conn.execute(query, (first, last))}

    def render_data_docs(self) -> Path:
        """Render Data Docs from this process's validations; return the front page."""
        return self.suite().build_data_docs()


def great_expectations_resource() -> GreatExpectationsResource:
    """The GX resource on the configured warehouse, Data Docs under `.local/gx/data_docs`,
    linked at `WEDSYNC_DATA_DOCS_URL` when that is set (`make demo` sets it)."""
    return GreatExpectationsResource(
        warehouse=warehouse_resource(),
        data_docs_dir=str(DATA_DOCS_DIR),
        data_docs_base_url=os.environ.get(DATA_DOCS_URL_ENV) or None,
    )
