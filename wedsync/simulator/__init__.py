"""The WedSync simulator: a seeded, calibrated stand-in for the marketplace's nightly exports
and live events.

`simulate(SimulationConfig(...))` writes `<landing>/exports/<date>/<entity>.<fmt>` and the truth
files the pipeline never reads (docs/internals.md, "Landing zone").
"""

from wedsync.simulator.config import DEFECT_TYPES, DefectRates, SimulationConfig
from wedsync.simulator.run import SimulationSummary, simulate

__all__ = ["DEFECT_TYPES", "DefectRates", "SimulationConfig", "SimulationSummary", "simulate"]
