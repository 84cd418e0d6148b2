"""The marketplace's vendor types: one list for the simulator, the API's filters and its docs."""

from __future__ import annotations

from typing import Literal, get_args

VendorType = Literal[
    "venue",
    "photographer",
    "videographer",
    "florist",
    "caterer",
    "band",
    "planner",
    "cake",
    "hair_makeup",
]
VENDOR_TYPES: tuple[VendorType, ...] = get_args(VendorType)
