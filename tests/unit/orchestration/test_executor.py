"""Which executor the code location's jobs run on: the deployment's choice, by environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.executor import (
    CELERY_CONFIG_VARIABLE,
    DEFAULT_CELERY_CONFIG,
    EXECUTOR_VARIABLE,
    celery_executor_config,
    default_executor,
)


def test_unset_leaves_dagsters_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXECUTOR_VARIABLE, raising=False)
    assert default_executor() is None


def test_celery_is_configured_from_the_deployments_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXECUTOR_VARIABLE, "celery")
    monkeypatch.delenv(CELERY_CONFIG_VARIABLE, raising=False)
    executor = default_executor()
    assert executor is not None and executor.name == "celery_on_redis"
    config = celery_executor_config(DEFAULT_CELERY_CONFIG)
    # The broker comes from the environment, and a killed worker's task comes back.
    assert config["broker"] == {"env": "WEDSYNC_CELERY_BROKER_URL"}
    assert config["config_source"]["task_acks_late"] is True


def test_an_unknown_executor_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EXECUTOR_VARIABLE, "kubernetes")
    with pytest.raises(ValueError, match=EXECUTOR_VARIABLE):
        default_executor()


def test_a_file_without_the_executor_block_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "celery.yaml"
    config.write_text("execution: {}\n")
    with pytest.raises(ValueError, match=r"execution\.config"):
        celery_executor_config(config)
