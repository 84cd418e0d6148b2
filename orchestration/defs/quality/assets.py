"""Quality assets: the GX Data Docs site and the quarantine table the checks keep.

`quality/quarantine` is written by the rule checks, not materialized by Dagster: it is declared
here so that dbt's staging models, which read it as a source, show it in their lineage.
"""

from collections import Counter

import dagster as dg

from expectations.catalogue import RULES
from orchestration.defs.quality.checks import raw_asset_key
from orchestration.defs.quality.resources import GreatExpectationsResource

CHECKED_TABLES = tuple(dict.fromkeys(rule.table for rule in RULES))
QUARANTINED_TABLES = tuple(dict.fromkeys(r.table for r in RULES if r.severity == "error"))

quarantine = dg.AssetSpec(
    key=dg.AssetKey(["quality", "quarantine"]),
    group_name="quality",
    description=(
        "quality.quarantine: raw rows breaking an error-level quality rule (rule id, table, "
        "row key, column, value, severity, check time). Kept in sync by the rule checks on the "
        "raw assets; staging models exclude these rows, raw keeps them."
    ),
    deps=[raw_asset_key(table) for table in QUARANTINED_TABLES],
    kinds={"postgres"},
    owners=["team:data-engineering"],
)


@dg.asset(
    key=dg.AssetKey(["quality", "data_docs"]),
    group_name="quality",
    deps=[raw_asset_key(table) for table in CHECKED_TABLES],
    kinds={"great_expectations", "html"},
    owners=["team:data-engineering"],
)
def data_docs(
    context: dg.AssetExecutionContext, great_expectations: GreatExpectationsResource
) -> dg.MaterializeResult:
    """GX Data Docs of every wedding quality rule against the current raw data.

    Validates the whole catalogue once more (seconds; nothing is recorded or quarantined,
    that is the checks' job) and renders the site under `.local/gx/data_docs` (served over
    HTTP by `make demo`).
    """
    outcomes = [great_expectations.evaluate(rule) for rule in RULES]
    index = great_expectations.render_data_docs()
    verdicts = Counter(outcome.verdict for outcome in outcomes)
    context.log.info(f"Data Docs at {great_expectations.data_docs_link}: {dict(verdicts)}")
    return dg.MaterializeResult(
        metadata={
            "data_docs": dg.MetadataValue.url(great_expectations.data_docs_link),
            "index_path": dg.MetadataValue.path(str(index)),
            "rules": dg.MetadataValue.int(len(outcomes)),
            **{f"rules_{verdict}": dg.MetadataValue.int(n) for verdict, n in verdicts.items()},
        }
    )
