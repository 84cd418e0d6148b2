"""The whole platform on a small simulated data set: `make build`'s command, then the API.

One build per module, exactly as `make build` runs it (`python -m orchestration.build` in its own
process), into a throwaway database, landing dir, MLflow registry and Dagster home. The tests then
compare what the platform produced with what the simulator knows it put in.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from fastapi.testclient import TestClient
from mlflow.tracking import MlflowClient

from ml.registry import CHAMPION, REGISTERED_MODEL
from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.exports import truth_dir
from wedsync.settings import REPO_ROOT, get_settings
from wedsync.simulator import SimulationConfig, simulate

pytestmark = pytest.mark.integration

AS_OF = dt.date(2026, 11, 25)
SCALE = 0.05


@dataclass(frozen=True)
class BuiltPlatform:
    """Where a finished build put everything, and what it printed."""

    database_url: str
    landing_dir: Path
    environment: dict[str, str]
    summary: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltPlatform]:
    root = tmp_path_factory.mktemp("platform")
    landing = root / "landing"
    simulate(SimulationConfig(landing_dir=landing, seed=7, scale=SCALE, as_of=AS_OF))
    (root / "dagster").mkdir()
    with throwaway_database("platform") as database_url:
        environment = {
            "WEDSYNC_DATABASE_URL": database_url,
            "WEDSYNC_LANDING_DIR": str(landing),
            "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow' / 'mlflow.db'}",
            "DAGSTER_HOME": str(root / "dagster"),
        }
        build = subprocess.run(
            [sys.executable, "-m", "orchestration.build"],
            cwd=REPO_ROOT,
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
        yield BuiltPlatform(database_url, landing, environment, build.stdout)


def _scalar(database_url: str, query: str) -> object:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_build_prints_its_summary(platform: BuiltPlatform) -> None:
    assert "WedSync build: OK" in platform.summary
    assert "marts.vendor_performance" in platform.summary
    assert "Model booking_probability v1 (champion)" in platform.summary


def _quarantined(database_url: str, table_name: str) -> set[str]:
    """Row keys of `table_name` an error rule holds back from the marts."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select distinct row_key from quality.quarantine"
            " where severity = 'error' and table_name = %s",
            (table_name,),
        ).fetchall()
    return {key for (key,) in rows}


def _injected(landing_dir: Path, table_name: str) -> set[str]:
    defects = pd.read_parquet(truth_dir(landing_dir) / "defects.parquet")
    return set(defects.loc[defects["table_name"] == table_name, "row_key"].astype(str))


def test_vendor_performance_counts_every_unquarantined_enquiry_once(
    platform: BuiltPlatform,
) -> None:
    held_back = _quarantined(platform.database_url, "enquiries")
    assert _injected(platform.landing_dir, "enquiries") <= held_back
    raw_enquiries = _scalar(
        platform.database_url, "select count(distinct enquiry_id) from raw.enquiries"
    )
    counted = _scalar(platform.database_url, "select sum(enquiries) from marts.vendor_performance")
    assert int(counted) == raw_enquiries - len(held_back)


def test_seasonal_bookings_count_every_unquarantined_booking_once(
    platform: BuiltPlatform,
) -> None:
    assert _injected(platform.landing_dir, "bookings") <= _quarantined(
        platform.database_url, "bookings"
    )
    # A booking is attributed through its enquiry: held back if either row is quarantined.
    published = _scalar(
        platform.database_url,
        "select count(distinct b.booking_id) from raw.bookings as b"
        " where not exists (select 1 from quality.quarantine as q where q.severity = 'error'"
        "  and q.table_name = 'bookings' and q.row_key = b.booking_id)"
        " and not exists (select 1 from quality.quarantine as q where q.severity = 'error'"
        "  and q.table_name = 'enquiries' and q.row_key = b.enquiry_id)",
    )
    by_month = _scalar(
        platform.database_url, "select coalesce(sum(bookings), 0) from marts.seasonal_bookings"
    )
    # Markets of fewer than 5 suppliers are not published (k-anonymity): their bookings are
    # the rest of the total.
    suppressed = _scalar(
        platform.database_url,
        "select coalesce(sum(bookings), 0) from ("
        " select count(booking_id) as bookings from marts.fct_enquiries"
        " where wedding_month is not null group by wedding_month, vendor_type, region"
        " having count(distinct supplier_id) < 5) as small_markets",
    )
    by_supplier = _scalar(
        platform.database_url, "select sum(bookings) from marts.vendor_performance"
    )
    assert int(by_month) + int(suppressed) == int(by_supplier) == published > 0


def test_quarantine_holds_every_injected_defect_and_few_clean_rows(
    platform: BuiltPlatform,
) -> None:
    """Recall is total; clean rows are no longer clipped inside the rules' limits, so a rule may
    flag a genuinely extreme clean row (a false alarm), but only a small share of them."""
    defects = pd.read_parquet(truth_dir(platform.landing_dir) / "defects.parquet")
    injected = set(
        defects[["table_name", "row_key"]].astype(str).itertuples(index=False, name=None)
    )
    with psycopg.connect(platform.database_url) as conn:
        quarantined = set(
            conn.execute(
                "select distinct table_name, row_key from quality.quarantine"
                " where severity = 'error'"
            ).fetchall()
        )
    assert injected <= quarantined
    clean_rows = sum(
        int(_scalar(platform.database_url, f"select count(*) from raw.{table}"))
        for table in {table for table, _ in quarantined}
    ) - len(injected)
    false_alarms = quarantined - injected
    assert len(false_alarms) <= 0.01 * clean_rows, sorted(false_alarms)[:20]


def test_the_model_is_registered_as_champion(platform: BuiltPlatform) -> None:
    uri = platform.environment["MLFLOW_TRACKING_URI"]
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    champion = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    assert str(champion.version) == "1"
    predictions = _scalar(
        platform.database_url, "select count(*) from predictions.booking_probability"
    )
    assert isinstance(predictions, int) and predictions > 0


@pytest.fixture
def api(platform: BuiltPlatform, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name, value in platform.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WEDSYNC_REDIS_URL", "redis://127.0.0.1:6379/7")
    get_settings.cache_clear()
    from serving.main import create_app

    with TestClient(create_app()) as client:
        yield client
    get_settings.cache_clear()


def test_the_api_answers_with_the_callers_numbers_only(
    platform: BuiltPlatform, api: TestClient
) -> None:
    with psycopg.connect(platform.database_url) as conn:
        supplier_id, enquiries = conn.execute(
            "select supplier_id, sum(enquiries) from marts.vendor_performance "
            "group by supplier_id order by 2 desc, 1 limit 1"
        ).fetchone() or (None, None)
        key = create_api_key(conn, supplier_id, "professional", "end-to-end test")
        conn.commit()
    assert api.get("/api/analytics/metrics").status_code == 401
    answer = api.get("/api/analytics/metrics", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    rows = answer.json()["vendor_performance"]
    assert {row["supplier_id"] for row in rows} == {supplier_id}
    assert sum(row["enquiries"] for row in rows) == enquiries
