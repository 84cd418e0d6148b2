"""Run scikit-learn's OpenMP code (gradient boosting) on one thread.

The platform shares a 2-core machine with Postgres, Dagster and the API. Boosting's OpenMP
threads spin while they wait for each other, so under that load a fit that takes 0.2 s on one
thread took 5-10 s on two (measured on the project machine); one thread is also what makes a
run's speed predictable. Asset runs are already parallel across processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Limit OpenMP to one thread inside the block (restored afterwards)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
