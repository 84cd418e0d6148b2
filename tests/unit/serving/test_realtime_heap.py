"""The connection-heap policy: freeze as connections grow, collect after a quarter closed."""

from __future__ import annotations

import itertools

import pytest

from serving.live.heap import ConnectionHeap, startup_frozen


class RecordingCollector:
    """Records what the policy asked of the garbage collector."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def freeze(self) -> None:
        self.calls.append("freeze")

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")

    def collect(self) -> int:
        self.calls.append("collect")
        return 0


def test_a_small_process_never_freezes() -> None:
    collector = RecordingCollector()
    heap = ConnectionHeap(min_step=100, collector=collector)
    for held in range(100):
        heap.tick(held)
    assert collector.calls == []


def test_growth_freezes_in_steps_of_an_eighth() -> None:
    collector = RecordingCollector()
    heap = ConnectionHeap(min_step=100, collector=collector)
    frozen_at = []
    for held in range(0, 2000, 10):
        before = len(collector.calls)
        heap.tick(held)
        if len(collector.calls) > before:
            frozen_at.append(held)
    assert collector.calls == ["freeze"] * len(frozen_at)
    assert frozen_at[:3] == [100, 200, 300]
    assert all(b - a >= max(100, a // 8) for a, b in itertools.pairwise(frozen_at))


def test_a_quarter_closed_is_collected_once_then_frozen_again() -> None:
    collector = RecordingCollector()
    heap = ConnectionHeap(min_step=100, collector=collector)
    heap.tick(1000)
    for _ in range(249):
        heap.closed()
    heap.tick(751)
    assert collector.calls == ["freeze"]
    heap.closed()
    heap.tick(750)
    assert collector.calls == ["freeze", "unfreeze", "collect", "freeze"]
    heap.tick(750)  # the closed count starts again
    assert collector.calls == ["freeze", "unfreeze", "collect", "freeze"]


def test_startup_objects_are_frozen_while_serving_and_handed_back_even_on_error() -> None:
    collector = RecordingCollector()
    with pytest.raises(RuntimeError), startup_frozen(collector):
        assert collector.calls == ["freeze"]
        raise RuntimeError("the worker stops")
    assert collector.calls == ["freeze", "unfreeze"]
