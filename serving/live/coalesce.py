"""Coalescing of live deltas: at most one message per second per supplier, the first one at once.

A supplier's dashboard wants the first event of a quiet spell immediately (that is what makes the
feed feel live) but a wedding-day burst of hundreds of RSVP updates must not become hundreds of
WebSocket frames to every open dashboard. So the first delta after a quiet interval is sent at
once (leading edge) and later ones are merged and sent when the interval since the last message
has passed (trailing edge). Pure and clock-injected, so the rule is unit-tested without sleeping.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class SupplierDelta:
    """Event counts for one supplier, per day and event type, waiting to be sent together."""

    supplier_id: str
    by_day: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, day: str, delta: dict[str, int]) -> None:
        """Merge one published delta into this one."""
        self.by_day.setdefault(day, Counter()).update(delta)

    @property
    def events(self) -> int:
        """How many events the merged delta covers."""
        return sum(sum(counts.values()) for counts in self.by_day.values())


@dataclass(frozen=True)
class Admission:
    """What to do with a delta that just arrived: send `ready` now, or flush at `flush_at`."""

    ready: SupplierDelta | None
    flush_at: float | None


class Coalescer:
    """Per-supplier leading/trailing-edge coalescing with an interval of `interval` seconds."""

    def __init__(self, interval: float = 1.0) -> None:
        if interval < 0:
            raise ValueError(f"interval must be >= 0 seconds; got {interval}")
        self.interval = interval
        self._last_sent: dict[str, float] = {}
        self._pending: dict[str, SupplierDelta] = {}

    def admit(self, supplier_id: str, day: str, delta: dict[str, int], now: float) -> Admission:
        """Take a published delta; say whether it goes out now or when to flush the merged one.

        `flush_at` is only returned when the supplier had nothing pending, so the caller
        schedules exactly one flush per pending supplier.
        """
        pending = self._pending.get(supplier_id)
        if pending is not None:
            pending.add(day, delta)
            return Admission(ready=None, flush_at=None)
        last_sent = self._last_sent.get(supplier_id)
        if last_sent is None or now - last_sent >= self.interval:
            self._last_sent[supplier_id] = now
            ready = SupplierDelta(supplier_id)
            ready.add(day, delta)
            return Admission(ready=ready, flush_at=None)
        pending = SupplierDelta(supplier_id)
        pending.add(day, delta)
        self._pending[supplier_id] = pending
        return Admission(ready=None, flush_at=last_sent + self.interval)

    def flush(self, supplier_id: str, now: float) -> SupplierDelta | None:
        """The merged delta of a supplier whose flush time came (None when nothing is pending)."""
        pending = self._pending.pop(supplier_id, None)
        if pending is not None:
            self._last_sent[supplier_id] = now
        return pending

    def forget_idle(self, now: float) -> None:
        """Drop the send times of suppliers quiet for longer than the interval (bounded memory)."""
        idle = [s for s, sent in self._last_sent.items() if now - sent >= self.interval]
        for supplier_id in idle:
            if supplier_id not in self._pending:
                del self._last_sent[supplier_id]
