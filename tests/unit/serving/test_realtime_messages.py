"""The live feed's frames: what a dashboard (or BI tool) parses."""

from __future__ import annotations

import orjson

from serving.live.coalesce import SupplierDelta
from serving.live.messages import delta_frame, heartbeat_frame, snapshot_frame, status_frame


def test_snapshot_frame_is_stable_for_the_same_counters() -> None:
    first = snapshot_frame("2026-11-25", {"sup_000002": {"quote_sent": 1, "enquiry_created": 2}})
    again = snapshot_frame("2026-11-25", {"sup_000002": {"enquiry_created": 2, "quote_sent": 1}})
    # Key order does not matter: the polling answer's ETag depends only on the counts.
    assert first == again
    assert orjson.loads(first) == {
        "type": "snapshot",
        "day": "2026-11-25",
        "suppliers": {"sup_000002": {"enquiry_created": 2, "quote_sent": 1}},
    }


def test_delta_frame_names_the_supplier_days_and_event_count() -> None:
    delta = SupplierDelta("sup_000123")
    delta.add("2026-11-25", {"rsvp_updated": 3})
    delta.add("2026-11-25", {"rsvp_updated": 1, "payment_received": 1})
    frame = orjson.loads(delta_frame(delta))
    assert frame["type"] == "delta"
    assert frame["supplier_id"] == "sup_000123"
    assert frame["events"] == 5
    assert frame["days"] == {"2026-11-25": {"rsvp_updated": 4, "payment_received": 1}}
    assert isinstance(frame["sent_at"], float)


def test_frames_start_with_their_type() -> None:
    # Clients (and the benchmark) tell frames apart by their first key.
    delta = SupplierDelta("sup_000123")
    delta.add("2026-11-25", {"profile_view": 1})
    assert delta_frame(delta).startswith('{"type":"delta"')
    assert heartbeat_frame([]).startswith('{"type":"heartbeat"')
    assert orjson.loads(heartbeat_frame(["postgres"]))["degraded"] == ["postgres"]
    status = orjson.loads(status_frame(["redis"]))
    assert (status["type"], status["degraded"]) == ("status", ["redis"])
