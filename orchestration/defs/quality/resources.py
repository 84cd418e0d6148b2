"""Great Expectations as a Dagster resource (GX Core 1.x; `dagster-ge` only speaks GX 0.x)."""

import datetime as dt
from pathlib import Path

import dagster as dg
from psycopg import sql

from expectations.rule import Rule
from expectations.runner import RuleOutcome, run_rule
from expectations.store import record_outcome
from expectations.suite import QualitySuite, quality_suite
from orchestration.resources import WarehouseResource, warehouse_resource
from wedsync.settings import LOCAL_DIR

DEFAULT_DATA_DOCS_DIR = LOCAL_DIR / "gx" / "data_docs"


class GreatExpectationsResource(dg.ConfigurableResource):
    """The wedding rule catalogue's GX suite on the warehouse, and where its Data Docs go.

    The warehouse is a nested resource so that the rules and the quarantine they write can
    never point at two different databases.
    """

    warehouse: WarehouseResource
    data_docs_dir: str

    @property
    def data_docs_index(self) -> Path:
        """The Data Docs front page (rendered by the `quality/data_docs` asset)."""
        return Path(self.data_docs_dir) / "index.html"

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
    """The GX resource on the configured warehouse, Data Docs under `.local/gx/data_docs`."""
    return GreatExpectationsResource(
        warehouse=warehouse_resource(), data_docs_dir=str(DEFAULT_DATA_DOCS_DIR)
    )
