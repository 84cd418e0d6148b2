"""What a publish of the served marts costs on the configured (built) warehouse.

Runs `publish_build` (copy every built served table to `served`, bump the `analytics` version,
one transaction) `--runs` times and prints the rows copied and the seconds per run. Run it after
`make build`; each run moves the dataset version, as a build's publish would.
"""

from __future__ import annotations

import argparse
import statistics
import time

from psycopg import sql

from wedsync.warehouse import connect
from wedsync.warehouse.served import SERVED_TABLES, publish_build, served_table


def main() -> None:
    """Publish `--runs` times; print rows copied and min/median/max seconds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    seconds = []
    with connect() as conn:
        for _ in range(runs):
            started = time.perf_counter()
            published, version = publish_build(conn)
            seconds.append(time.perf_counter() - started)
        rows = 0
        for name in published:
            counted = conn.execute(sql.SQL("select count(*) from {}").format(served_table(name)))
            row = counted.fetchone()
            assert row is not None  # count(*) always answers
            rows += int(row[0])
    print(
        f"publish: {len(published)} of {len(SERVED_TABLES)} served tables, {rows:,} rows, "
        f"version {version}; seconds over {runs} runs: min {min(seconds):.3f} "
        f"median {statistics.median(seconds):.3f} max {max(seconds):.3f}"
    )


if __name__ == "__main__":
    main()
