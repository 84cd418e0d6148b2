"""The Prometheus exposition and the tier settings."""

from __future__ import annotations

import pytest

from serving.core.config import ServingConfig, api_database_url
from serving.core.observability import RequestMetrics
from wedsync.settings import get_settings


def test_the_exposition_has_counters_and_cumulative_buckets() -> None:
    metrics = RequestMetrics()
    metrics.observe("GET", "/api/usage", 200, 0.004)
    metrics.observe("GET", "/api/usage", 200, 0.3)
    metrics.observe("GET", "/api/usage", 429, 0.0005)
    text = metrics.render()
    assert 'wedsync_api_requests_total{method="GET",route="/api/usage",status="200"} 2' in text
    assert 'wedsync_api_request_duration_seconds_bucket{route="/api/usage",le="0.001"} 1' in text
    assert 'wedsync_api_request_duration_seconds_bucket{route="/api/usage",le="0.005"} 2' in text
    assert 'wedsync_api_request_duration_seconds_bucket{route="/api/usage",le="+Inf"} 3' in text
    assert 'wedsync_api_request_duration_seconds_count{route="/api/usage"} 3' in text
    assert text.endswith("\n")


def test_tier_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEDSYNC_RATE_LIMIT_FREE", "5")
    monkeypatch.setenv("WEDSYNC_RATE_LIMIT_PROFESSIONAL", "none")
    config = ServingConfig.from_env(get_settings())
    assert config.rate_limits["free"] == 5
    assert config.rate_limits["professional"] is None
    assert config.rate_limits["enterprise"] is None
    monkeypatch.setenv("WEDSYNC_RATE_LIMIT_FREE", "-1")
    with pytest.raises(ValueError, match="WEDSYNC_RATE_LIMIT_FREE"):
        ServingConfig.from_env(get_settings())


def test_the_api_connects_as_its_own_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEDSYNC_API_DATABASE_URL", raising=False)
    assert (
        api_database_url("postgresql://postgres:secret@db.example:6543/wedsync")
        == "postgresql://wedsync_api@db.example:6543/wedsync"
    )
    monkeypatch.setenv("WEDSYNC_API_DATABASE_URL", "postgresql://api:pw@db/wedsync")
    assert api_database_url("postgresql://postgres@db/wedsync") == "postgresql://api:pw@db/wedsync"
