"""The environment every dbt invocation runs in: the profile's warehouse, and the venv's dbt.

dbt's profile reads `WEDSYNC_PG_*` variables. Rather than relying on the shell that started
Dagster (`eval "$(wedsync db env)"`), they are derived from a warehouse URL and set for the
duration of each dbt invocation: dagster-dbt starts the dbt process, and initialises a dbt
adapter inside this process, from the process environment. The venv's `bin` goes first on
`PATH` because dagster-dbt's own manifest preparation runs the `dbt` it finds there, and
`.venv/bin/dagster dev` does not need an activated venv.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wedsync.settings import get_settings

#: The directory of the running interpreter: the venv's, even when the venv is not on PATH.
VENV_BIN = Path(sys.executable).parent


def dbt_profile_env(database_url: str) -> dict[str, str]:
    """The `WEDSYNC_PG_*` variables dbt's profile reads, for `database_url`."""
    return dataclasses.replace(get_settings(), database_url=database_url).dbt_env()


@contextmanager
def dbt_environment(database_url: str) -> Iterator[None]:
    """Run the block with dbt's profile on `database_url` and the venv's dbt on PATH."""
    values = {
        **dbt_profile_env(database_url),
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
    }
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
