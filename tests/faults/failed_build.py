"""A dbt model failing mid-build: what the built and served marts, the cache version and the API do.

Last night's build is served and a dashboard's metrics answer is cached. Tonight's exports and
live events arrive, and tonight's build runs a project in which an analyst's edit broke one
model: `supplier_daily_activity` counts quotes by a column the staging model does not have.
dbt compiles it, Postgres refuses it when the model runs: the model fails, `lead_funnel` (built
from it) is skipped, and every other model builds. The cache version's automation condition
is evaluated after the run as the automation sensor would; then the edit is fixed and the
build runs again. `benchmarks/faults.py` prints the figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import redis
from dagster_dbt import DbtProject, dbt_assets
from psycopg import sql

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.environment import dbt_environment
from orchestration.defs.dbt.project import PROD_TARGET
from orchestration.defs.dbt.resources import (
    VENV_DBT,
    WarehouseDbtCliResource,
    dbt_resource,
)
from orchestration.defs.dbt.translator import WedsyncDbtTranslator
from orchestration.defs.serving.assets import SERVED_MART_KEYS, api_cache_version
from orchestration.resources import WarehouseResource
from serving.security.tenancy import apply_tenancy
from tests.faults.nights import AS_OF, TwoNights, two_nights
from tests.integration.serving.conftest import bearer, client_of, serve
from wedsync.api_keys import create_api_key
from wedsync.settings import DBT_PROJECT_DIR, get_settings
from wedsync.warehouse import connect
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, read_dataset_version
from wedsync.warehouse.served import SERVED_SCHEMA

#: Redis db 9 is this fault's own: its cached answers must not be flushed by another suite.
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/9").geturl()
CACHE_VERSION = dg.AssetKey(["serving", "api_cache_version"])
BROKEN_MODEL = "supplier_daily_activity"
#: The analyst's edit: quotes counted by an amount column that `stg_events` calls `amount_gbp`.
GOOD_LINE = "count(*) filter (where event_type = 'quote_sent') as quotes"
BROKEN_LINE = "count(*) filter (where event_type = 'quote_sent' and quote_amount_gbp > 0) as quotes"
SUPPLIER = "sup_000001"
METRICS = f"/api/analytics/metrics?supplier_id={SUPPLIER}"


@dataclass(frozen=True)
class FailedBuildFigures:
    """What the failed build left served."""

    build_succeeded: bool
    not_rebuilt: list[str]
    marts_unchanged: list[str]
    marts_rebuilt: list[str]
    served_marts: list[str]
    cache_version_before: int
    cache_version_after_failure: int
    cache_version_requested: int
    cached_answer_kept: bool
    cache_version_after_fix: int
    #: Served marts (`served.*`, what the API reads) holding last night's publish after the
    #: failed build (a consistent build served: all of them).
    served_previous_after_failure: list[str]
    #: Served marts whose published contents after the fixed build differ from last night's:
    #: tonight's data reached them. The others are the same in both builds (their inputs did
    #: not change).
    served_changed_after_fix: list[str]

    @property
    def served_dbt_marts(self) -> list[str]:
        """The served marts this scenario builds (the `predictions` tables need the ML run)."""
        return [
            mart for mart in self.served_marts if mart in self.marts_unchanged + self.marts_rebuilt
        ]

    @property
    def mixed_served_marts(self) -> list[str]:
        """Served marts built tonight beside the failed one (kept out of `served` until fixed)."""
        return [mart for mart in self.served_marts if mart in self.marts_rebuilt]

    def line(self) -> str:
        """The figures on one line (what `benchmarks/faults.py` prints)."""
        return (
            f"{'dbt_model_fails':<22} run {'SUCCESS' if self.build_succeeded else 'FAILURE'} "
            f"(not rebuilt: {', '.join(self.not_rebuilt)})  cache version "
            f"{self.cache_version_before} -> {self.cache_version_after_failure} "
            f"(requested {self.cache_version_requested}x; after the fix "
            f"{self.cache_version_after_fix})  cached answer kept: {self.cached_answer_kept}"
            f"\n    marts with last night's content: {', '.join(self.marts_unchanged)}"
            f"\n    marts with tonight's: {', '.join(self.marts_rebuilt)}; of those served "
            f"marts built beside the failed one: {', '.join(self.mixed_served_marts) or 'none'}"
            f"\n    served marts still last night's after the failure: "
            f"{len(self.served_previous_after_failure)} of {len(self.served_dbt_marts)}; "
            f"changed by tonight's build after the fix: "
            f"{', '.join(self.served_changed_after_fix) or 'none'}"
        )


def _events(day: dt.date, count: int) -> list[dict[str, object]]:
    """Profile views and enquiries for the supplier, as the platform sends them."""
    return [
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "profile_view" if n % 3 else "enquiry_created",
            "occurred_at": f"{day}T{10 + n % 8:02d}:00:00Z",
            "supplier_id": SUPPLIER,
            "couple_id": f"cpl_{n:06d}",
        }
        for n in range(count)
    ]


async def _send(database_url: str, key: str, events: list[dict[str, object]]) -> None:
    """Send live events through the API, as the platform does."""
    async with serve(database_url, REDIS_URL) as app, client_of(app) as client:
        sent = await client.post("/api/events", json=events, headers=bearer(key))
        assert sent.status_code == 202 and sent.json()["accepted"] == len(events), sent.text


async def _read(database_url: str, key: str) -> tuple[str, bytes]:
    """The supplier's metrics, as a dashboard reads them: (X-Cache, body)."""
    async with serve(database_url, REDIS_URL) as app, client_of(app) as client:
        answer = await client.get(METRICS, headers=bearer(key))
        assert answer.status_code == 200, answer.text
        return answer.headers["X-Cache"], answer.content


def _project_copy(root: Path, *, broken: bool) -> DbtProject:
    """A copy of the dbt project, with the analyst's broken edit or without it."""
    copy = root / ("broken_project" if broken else "project")
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    if broken:
        model = copy / "models" / "marts" / f"{BROKEN_MODEL}.sql"
        assert GOOD_LINE in model.read_text(), f"{model} lost the line the fault edits"
        model.write_text(model.read_text().replace(GOOD_LINE, BROKEN_LINE))
    return DbtProject(
        project_dir=copy, profiles_dir=copy, target=PROD_TARGET, target_path=Path("target") / "prod"
    )


def _deployed(project: DbtProject, database_url: str) -> dg.AssetsDefinition:
    """The repo's dbt assets as a deployment of `project` defines them.

    Parsing `project` gives its manifest, and the repo's asset function runs over it with
    the repo's translator: what the code location loads once the edited model is deployed
    (dagster-dbt runs dbt in the definition's project, whatever the resource says).
    """
    with dbt_environment(database_url):
        project.preparer.prepare(project)
    return dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WedsyncDbtTranslator(),
        name=wedsync_dbt_models.op.name,
    )(wedsync_dbt_models.op.compute_fn.decorated_fn)


def _dbt(project: DbtProject, database_url: str) -> WarehouseDbtCliResource:
    return WarehouseDbtCliResource(
        project_dir=project, dbt_executable=VENV_DBT, target=PROD_TARGET, database_url=database_url
    )


def _build(
    instance: dg.DagsterInstance, database_url: str, project: DbtProject
) -> dg.ExecuteInProcessResult:
    """The nightly dbt build of `project`, as deployed."""
    return dg.materialize(
        [_deployed(project, database_url)],
        instance=instance,
        resources={"dbt": _dbt(project, database_url)},
        run_config={"ops": {"wedsync_dbt_models": {"config": {"as_of": AS_OF.isoformat()}}}},
        raise_on_error=False,
    )


class CacheVersionAutomation:
    """The cache version's automation condition, evaluated tick by tick as the sensor does."""

    def __init__(self, instance: dg.DagsterInstance, database_url: str) -> None:
        self.instance = instance
        self.warehouse = WarehouseResource(database_url=database_url)
        self.defs = dg.Definitions(
            assets=[wedsync_dbt_models, api_cache_version],
            resources={"warehouse": self.warehouse, "dbt": dbt_resource(database_url)},
        )
        self.cursor: dg.AssetDaemonCursor | None = None

    def tick(self) -> int:
        """Evaluate; materialize the version if requested. How often it was requested."""
        result = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        requested = result.get_num_requested(CACHE_VERSION)
        if requested:
            dg.materialize(
                [api_cache_version], instance=self.instance, resources={"warehouse": self.warehouse}
            )
            # The sensor's next tick sees the version's own materialization: the request handled.
            self.cursor = dg.evaluate_automation_conditions(
                defs=self.defs, instance=self.instance, cursor=self.cursor
            ).cursor
        return requested

    def version(self) -> int:
        """The analytics dataset version the API keys its cache by."""
        with connect(self.warehouse.database_url) as conn:
            return read_dataset_version(conn, ANALYTICS_DATASET)


def _digests(database_url: str, schema: str = "marts") -> dict[str, str]:
    """Each table's content digest in `schema` (`marts`: built; `served`: what the API reads)."""
    with connect(database_url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = %s and table_type = 'BASE TABLE' order by 1",
                (schema,),
            ).fetchall()
        ]
        digests = {}
        for table in tables:
            row = conn.execute(
                sql.SQL(
                    "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {} t"
                ).format(sql.Identifier(schema, table))
            ).fetchone()
            assert row is not None
            digests[table] = str(row[0])
    return digests


def _not_rebuilt(result: dg.ExecuteInProcessResult) -> list[str]:
    built = {event.asset_key for event in result.get_asset_materialization_events()}
    return sorted(
        key.path[-1]
        for key in wedsync_dbt_models.keys
        if key.path[0] == "marts" and key not in built
    )


def _prepare(nights: TwoNights) -> str:
    """The API's role and policies, and a platform key; the key."""
    with connect(nights.database_url) as conn:
        apply_tenancy(conn)
        return create_api_key(conn, None, "platform", "fault suite")


def model_fails_mid_build(root: Path) -> FailedBuildFigures:
    """Run the scenario in `root` (a scratch directory)."""
    cache = redis.Redis.from_url(REDIS_URL)
    cache.flushdb()
    try:
        with two_nights(root / "landing", "failed_build") as nights:
            return _scenario(root, nights)
    finally:
        cache.flushdb()
        cache.close()


def _scenario(root: Path, nights: TwoNights) -> FailedBuildFigures:
    key = _prepare(nights)
    url = nights.database_url
    instance = dg.DagsterInstance.ephemeral()
    automation = CacheVersionAutomation(instance, url)
    good = _project_copy(root, broken=False)
    asyncio.run(_send(url, key, _events(AS_OF - dt.timedelta(days=2), 30)))

    assert automation.tick() == 0  # the sensor's ticks before the build: nothing moved
    assert _build(instance, url, good).success
    assert automation.tick() == 1  # a good build moves the version
    version_before = automation.version()
    _, cached = asyncio.run(_read(url, key))
    last_night = _digests(url)
    served_last_night = _digests(url, SERVED_SCHEMA)

    nights.load(nights.tonight)
    asyncio.run(_send(url, key, _events(AS_OF - dt.timedelta(days=1), 30)))
    failed = _build(instance, url, _project_copy(root, broken=True))
    requested = automation.tick()
    version_after = automation.version()
    status, answer = asyncio.run(_read(url, key))
    tonight = _digests(url)
    served_tonight = _digests(url, SERVED_SCHEMA)

    assert _build(instance, url, good).success  # the edit fixed
    automation.tick()
    served_fixed = _digests(url, SERVED_SCHEMA)
    served = [k.path[-1] for k in SERVED_MART_KEYS if k.path[0] == "marts"]
    return FailedBuildFigures(
        build_succeeded=failed.success,
        not_rebuilt=_not_rebuilt(failed),
        marts_unchanged=sorted(m for m in last_night if tonight.get(m) == last_night[m]),
        marts_rebuilt=sorted(m for m in last_night if tonight.get(m) != last_night[m]),
        served_marts=sorted(k.path[-1] for k in SERVED_MART_KEYS if k.path[0] == "marts"),
        cache_version_before=version_before,
        cache_version_after_failure=version_after,
        cache_version_requested=requested,
        cached_answer_kept=status == "hit" and answer == cached,
        cache_version_after_fix=automation.version(),
        served_previous_after_failure=sorted(
            m
            for m in served
            if m in last_night and served_tonight.get(m) == served_last_night.get(m)
        ),
        served_changed_after_fix=sorted(
            m for m in served if m in last_night and served_fixed.get(m) != served_last_night.get(m)
        ),
    )


def run_failed_build_fault() -> FailedBuildFigures:
    """The scenario in a scratch directory of its own."""
    with tempfile.TemporaryDirectory(prefix="wedsync-failed-build-") as root:
        return model_fails_mid_build(Path(root))
