"""The topology's layout, HAProxy's configuration as rendered from it, and its pid records."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from wedsync.cluster import ClusterPorts
from wedsync.cluster.processes import Supervisor
from wedsync.cluster.topology import HAPROXY_CONFIG, haproxy_member


def test_ports_come_from_one_base_and_never_collide() -> None:
    ports = ClusterPorts(7800)
    every = [ports.api_lb, ports.mlflow_lb, ports.stats]
    every += [ports.api(i) for i in range(1, 5)] + [ports.mlflow(i) for i in (1, 2)]
    assert len(set(every)) == len(every)
    assert 7801 not in every  # left to the block's Redis
    assert ports.haproxy_env()["WEDSYNC_API_PORT_4"] == "7814"


@pytest.mark.parametrize("raw", ["80", "eighty", "70000"])
def test_a_bad_base_port_is_refused_by_name(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEDSYNC_CLUSTER_PORT", raw)
    with pytest.raises(ValueError, match="WEDSYNC_CLUSTER_PORT"):
        ClusterPorts.from_env()


def test_haproxy_accepts_the_configuration_with_the_topologys_ports() -> None:
    member = haproxy_member(ClusterPorts(7800))
    checked = subprocess.run(
        [member.command[0], "-c", "-f", str(HAPROXY_CONFIG)],
        env={**os.environ, **member.env},
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout


def test_a_recorded_pid_now_running_something_else_is_not_ours(tmp_path: Path) -> None:
    # This test's own process stands in for an unrelated program that was given a reused id.
    (tmp_path / "haproxy.pid").write_text(f"{os.getpid()}\n/usr/sbin/haproxy\n")
    supervisor = Supervisor(tmp_path)
    assert supervisor.pid("haproxy") is None
    assert supervisor.running() == {}
