"""Helpers for the API's background loops (usage flushes, wedding-day priority)."""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that a library turned into its own error (e.g. a pool timeout).

    A background loop that swallowed it would never stop, and the lifespan waiting for it
    would hang the worker's shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
