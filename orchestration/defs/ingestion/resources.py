"""Where the nightly exports land."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

from wedsync.settings import get_settings


class LandingZoneResource(dg.ConfigurableResource):
    """The landing dir (or mounted object store) the platform's nightly exports are written to."""

    landing_dir: str

    @property
    def path(self) -> Path:
        """The landing dir as a path."""
        return Path(self.landing_dir)


@cache
def landing_zone_resource() -> LandingZoneResource:
    """The landing zone configured from the environment (see `wedsync.settings`)."""
    return LandingZoneResource(landing_dir=str(get_settings().landing_dir))
