"""Helpers for the API's background loops (usage flushes, wedding-day priority)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)


def raise_if_cancelled() -> None:
    """Re-raise a cancellation that a library turned into its own error (e.g. a pool timeout).

    A background loop that swallowed it would never stop, and the lifespan waiting for it
    would hang the worker's shutdown.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


#: How long a worker's shutdown waits for its background loops before leaving them behind.
SHUTDOWN_GRACE_SECONDS = 5.0


async def stop_background(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel the loops and wait for them, for at most `SHUTDOWN_GRACE_SECONDS`.

    A loop stuck in a library call that ignores cancellation (a LISTEN on a connection to a
    database being dropped, say) must not hang the worker's shutdown; it is named in the log.
    """
    pending = list(tasks)
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
    for task in stuck:
        logger.warning("background task %s did not stop on shutdown", task.get_name())
