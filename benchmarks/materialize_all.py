"""What the Dagster UI's "Materialize all" does, timed: against a running `make demo`.

Launches, through the webserver's GraphQL API, the asset backfill the button launches (every
materializable asset, all partitions), lets the daemon run it, and prints its status, the runs
it made and the wall time. It checks the deployment (webserver, daemon, Postgres storage, queued
runs), not only the code.

    make demo   # in another terminal
    python -m benchmarks.materialize_all
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx

from orchestration.definitions import defs

LAUNCH = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""
STATUS = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}"""
RUNS = """
query ($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status } }
  }
}"""
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One GraphQL call; its `data`."""
    answer = httpx.post(url, json={"query": query, "variables": variables}, timeout=120)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()["data"]
    return data


def main() -> None:
    """Launch the backfill, wait for it, print what it did."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000/graphql")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait")
    args = parser.parse_args()

    graph = defs.resolve_asset_graph()
    keys = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    params = {"assetSelection": [{"path": key.path} for key in keys], "allPartitions": True}
    started = time.perf_counter()
    launched = graphql(args.url, LAUNCH, {"params": params})["launchPartitionBackfill"]
    if "backfillId" not in launched:
        raise SystemExit(f"the backfill was not launched: {launched}")
    backfill_id = launched["backfillId"]
    print(f"backfill {backfill_id}: {len(keys)} assets, all partitions", flush=True)
    status = "REQUESTED"
    while status not in FINISHED and time.perf_counter() - started < args.timeout:
        time.sleep(10)
        status = graphql(args.url, STATUS, {"id": backfill_id})["partitionBackfillOrError"][
            "status"
        ]
    runs = graphql(args.url, RUNS, {"id": backfill_id})["runsOrError"]["results"]
    outcomes: dict[str, int] = {}
    for run in runs:
        outcomes[run["status"]] = outcomes.get(run["status"], 0) + 1
    print(f"status             {status}")
    print(f"runs               {len(runs)} {outcomes}")
    print(f"wall time          {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
