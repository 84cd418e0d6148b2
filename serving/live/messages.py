"""The JSON frames the live feed sends; one encoding shared by every connection of a process.

Frames are encoded once per fan-out and the same `str` is handed to every subscriber, so a
broadcast to 10,000 dashboards costs one `orjson.dumps`, not 10,000.

- `{"type": "snapshot", "day": "2026-11-25", "suppliers": {"sup_000123": {"enquiry_created": 4}}}`
- `{"type": "delta", "supplier_id": "sup_000123", "events": 3,
   "days": {"2026-11-25": {"enquiry_created": 3}}, "sent_at": 1764064800.123}`
- `{"type": "heartbeat", "sent_at": 1764064800.123, "degraded": []}`
- `{"type": "status", "degraded": ["postgres"], "sent_at": 1764064800.123}` when a dependency
  goes or comes back (`degraded` names those down; the feed itself stays open)
- `{"type": "gap", "from": 1764064790.5, "until": 1764064800.1, "suppliers": ["sup_000123"],
   "sent_at": 1764064800.123}` when the feed of those suppliers (`null`: every supplier) is back
  after its Redis (or, on a cluster, its shard) was lost: deltas in that span may be missing from
  the live counts (the events are in Postgres)
"""

from __future__ import annotations

import time

import orjson

from serving.live.coalesce import SupplierDelta


def snapshot_frame(day: str, counters: dict[str, dict[str, int]]) -> str:
    """Today's live counters per supplier, sent on connect and answered to a plain GET."""
    return orjson.dumps(
        {"type": "snapshot", "day": day, "suppliers": counters}, option=orjson.OPT_SORT_KEYS
    ).decode()


def delta_frame(delta: SupplierDelta) -> str:
    """What changed for one supplier since its previous frame (`sent_at` in Unix seconds)."""
    return orjson.dumps(
        {
            "type": "delta",
            "supplier_id": delta.supplier_id,
            "events": delta.events,
            "days": {day: dict(counts) for day, counts in delta.by_day.items()},
            "sent_at": time.time(),
        }
    ).decode()


def heartbeat_frame(degraded: list[str]) -> str:
    """Keeps proxies from closing an idle feed and lets the page show it is still connected."""
    frame = {"type": "heartbeat", "sent_at": time.time(), "degraded": degraded}
    return orjson.dumps(frame).decode()


def status_frame(degraded: list[str]) -> str:
    """Sent to every connection when the set of unreachable dependencies changes."""
    return orjson.dumps({"type": "status", "degraded": degraded, "sent_at": time.time()}).decode()


def gap_frame(since: float, until: float, suppliers: list[str] | None) -> str:
    """The span (Unix seconds) in which the feed of `suppliers` (None: all) was interrupted."""
    frame = {
        "type": "gap",
        "from": since,
        "until": until,
        "suppliers": suppliers,
        "sent_at": time.time(),
    }
    return orjson.dumps(frame).decode()
