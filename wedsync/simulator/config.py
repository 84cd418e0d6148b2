"""What a simulation run is asked to produce: where, how big, which seed, which defects."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from wedsync.exports import EXPORT_FORMATS, EXPORT_START_DATE

#: The injected defect types (docs/internals.md); the quality rules must catch each of them.
DEFECT_TYPES: tuple[str, ...] = (
    "invalid_wedding_date",
    "guest_count_out_of_range",
    "budget_out_of_range",
    "guest_count_over_capacity",
    "booking_after_wedding",
    "duplicate_enquiry",
)


@dataclass(frozen=True)
class DefectRates:
    """Share of rows receiving each defect.

    Enquiry defects are a share of all clean enquiries (`guest_count_over_capacity` is drawn
    from venue enquiries only, but still counted against all enquiries);
    `booking_after_wedding` is a share of exported bookings; `duplicate_enquiry` adds that
    share of enquiries as extra rows.
    """

    invalid_wedding_date: float = 0.006
    guest_count_out_of_range: float = 0.006
    budget_out_of_range: float = 0.006
    guest_count_over_capacity: float = 0.005
    booking_after_wedding: float = 0.008
    duplicate_enquiry: float = 0.008

    def __post_init__(self) -> None:
        for rate in fields(self):
            value = getattr(self, rate.name)
            if not 0.0 <= value <= 0.05:
                raise ValueError(f"defect rate `{rate.name}` must be in 0..0.05, got {value}")

    def rate(self, defect_type: str) -> float:
        """The rate of one defect type, by its name."""
        return float(getattr(self, defect_type))


@dataclass(frozen=True)
class SimulationConfig:
    """One simulation: the same values always produce byte-identical files."""

    landing_dir: Path
    as_of: dt.date
    seed: int = 42
    scale: float = 1.0
    file_format: str = "parquet"
    defect_rates: DefectRates = field(default_factory=DefectRates)

    def __post_init__(self) -> None:
        if not isinstance(self.as_of, dt.date) or isinstance(self.as_of, dt.datetime):
            raise ValueError(f"`as_of` must be a date, got {self.as_of!r}")
        if self.as_of <= EXPORT_START_DATE + dt.timedelta(days=90):
            raise ValueError(
                f"`as_of` must be at least 90 days after {EXPORT_START_DATE}, got {self.as_of}"
            )
        if not 0.001 <= self.scale <= 20:
            raise ValueError(f"`scale` must be between 0.001 and 20, got {self.scale}")
        if self.file_format not in EXPORT_FORMATS:
            raise ValueError(
                f"`file_format` must be one of {EXPORT_FORMATS}, got {self.file_format!r}"
            )
        if self.seed < 0:
            raise ValueError(f"`seed` must be a non-negative integer, got {self.seed}")
        object.__setattr__(self, "landing_dir", Path(self.landing_dir))

    def parameters(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, for the manifest."""
        return {
            "seed": self.seed,
            "scale": self.scale,
            "as_of": self.as_of.isoformat(),
            "export_start_date": EXPORT_START_DATE.isoformat(),
            "file_format": self.file_format,
            "defect_rates": asdict(self.defect_rates),
        }
