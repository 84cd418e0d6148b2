"""The replicated warehouse's layout and its rendered configurations (no server started)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wedsync.cluster import Cluster, ClusterPorts
from wedsync.cluster.postgres_ha import (
    NODES,
    POSTGRES_VARIABLE,
    PostgresHA,
    PostgresHAPorts,
    replicated_warehouse,
)
from wedsync.settings import get_settings


def test_its_ports_sit_in_the_topologys_block_apart_from_the_others() -> None:
    topology = ClusterPorts(7800)
    ha = PostgresHAPorts.of(topology)
    mine = [ha.etcd, ha.etcd_peer, ha.primary, ha.replica, ha.pgbouncer, ha.stats]
    mine += [ha.patroni(node) for node in NODES] + [ha.postgres(node) for node in NODES]
    assert len(set(mine)) == len(mine)
    assert all(7870 <= port < 7880 for port in mine)
    theirs = {topology.api_lb, topology.mlflow_lb, topology.stats}
    theirs |= {topology.api(i) for i in range(1, 5)} | {topology.mlflow(i) for i in (1, 2)}
    assert not theirs & set(mine)


def test_each_node_gets_its_own_ports_and_data_and_the_same_synchronous_settings(
    tmp_path: Path,
) -> None:
    ha = PostgresHA(PostgresHAPorts(7870), tmp_path)
    ha.write_configs()
    configs = [yaml.safe_load((ha.node_dir(n) / "patroni.yml").read_text()) for n in NODES]
    assert [c["name"] for c in configs] == ["node1", "node2"]
    assert [c["postgresql"]["listen"] for c in configs] == ["127.0.0.1:7874", "127.0.0.1:7875"]
    assert [c["restapi"]["listen"] for c in configs] == ["127.0.0.1:7872", "127.0.0.1:7873"]
    assert {c["postgresql"]["data_dir"] for c in configs} == {
        str(tmp_path / "node1" / "data"),
        str(tmp_path / "node2" / "data"),
    }
    for config in configs:
        assert config["etcd3"]["hosts"] == "127.0.0.1:7870"
        dcs = config["bootstrap"]["dcs"]
        assert dcs["synchronous_mode"] is True
        assert dcs["primary_start_timeout"] == 0
        assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]
    pgbouncer = (tmp_path / "pgbouncer.ini").read_text()
    assert "* = host=127.0.0.1 port=7876" in pgbouncer
    assert "listen_port = 7878" in pgbouncer


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy (see .ci/run)")
def test_haproxy_accepts_the_postgres_routing_with_the_topologys_ports(tmp_path: Path) -> None:
    member = PostgresHA(PostgresHAPorts(7870), tmp_path).haproxy
    checked = subprocess.run(
        [member.command[0], "-c", "-f", member.command[-1]],
        env={**os.environ, **member.env},
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_cluster_writes_through_pgbouncer_when_the_warehouse_is_replicated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = ClusterPorts(7800)
    monkeypatch.setenv(POSTGRES_VARIABLE, "patroni")
    ha = replicated_warehouse(ports)
    assert ha is not None
    cluster = Cluster(ports=ports, run_dir=tmp_path, with_mlflow=False, postgres_ha=ha)
    expected = f"postgresql://postgres@127.0.0.1:7878/{get_settings().database_name}"
    assert cluster.settings.database_url == expected
    assert all(m.env["WEDSYNC_DATABASE_URL"] == expected for m in cluster.api)
    monkeypatch.setenv(POSTGRES_VARIABLE, "")
    assert replicated_warehouse(ports) is None
    monkeypatch.setenv(POSTGRES_VARIABLE, "citus")
    with pytest.raises(ValueError, match=POSTGRES_VARIABLE):
        replicated_warehouse(ports)
