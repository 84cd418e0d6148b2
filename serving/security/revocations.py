"""Key revocation pushed to every worker: `wedsync keys revoke` bites within a second.

Revoking a key NOTIFYs `wedsync_api_key_revoked` with its key id in the revoking transaction
(`wedsync.api_keys.revoke_api_key`), so each worker's listener hears it as it commits. A worker
then forgets the key (`KeyRing`), refuses the access tokens issued for it (their `sub` is the
key id, checked on every request, the hot path included), and closes the WebSockets opened
with either (code 1008).

On (re)connecting the listener reads the keys revoked within `REMEMBERED_FOR`, longer than any
access token lives, so a revocation committed while a worker was not listening still bites at
the reconnect. A revocation cannot commit while Postgres is down, so the set stays complete
through an outage and tokens keep working from memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import psycopg

from serving.core.notices import NoticeListener
from wedsync.api_keys import REVOCATION_CHANNEL

#: Longer than an access token lives (15 minutes) with its leeway.
REMEMBERED_FOR = "1 hour"


class KeyRevocations(NoticeListener):
    """The key ids revoked lately, and who to tell when one more is."""

    channel = REVOCATION_CHANNEL

    def __init__(self, conninfo: str) -> None:
        super().__init__(conninfo)
        self._revoked: set[str] = set()
        self._watchers: defaultdict[str, set[Callable[[], None]]] = defaultdict(set)
        self._listeners: list[Callable[[str], None]] = []

    def is_revoked(self, key_id: str) -> bool:
        """Whether the key (or the key an access token was issued for) has been revoked."""
        return key_id in self._revoked

    def on_revoke(self, listener: Callable[[str], None]) -> None:
        """Call `listener(key_id)` for every revocation (the key ring forgets the key)."""
        self._listeners.append(listener)

    def watch(self, key_id: str, revoked: Callable[[], None]) -> Callable[[], None]:
        """Call `revoked()` once if `key_id` is revoked; returns what stops the watch."""
        self._watchers[key_id].add(revoked)

        def unwatch() -> None:
            watchers = self._watchers.get(key_id)
            if watchers is not None:
                watchers.discard(revoked)
                if not watchers:
                    del self._watchers[key_id]

        return unwatch

    def revoke(self, key_id: str) -> None:
        """Record a revocation and tell everyone who holds something of the key."""
        self._revoked.add(key_id)
        for listener in self._listeners:
            listener(key_id)
        for revoked in self._watchers.pop(key_id, set()):
            revoked()

    def notified(self, payload: str) -> None:
        """A key id revoked just now."""
        self.revoke(payload)

    async def listening(self, conn: psycopg.AsyncConnection) -> None:
        """Read the keys revoked lately (a revocation may have committed while not listening)."""
        cursor = await conn.execute(
            "select key_id from app.api_keys where revoked_at > now() - %s::interval",
            (REMEMBERED_FOR,),
        )
        for (key_id,) in await cursor.fetchall():
            if key_id not in self._revoked:
                self.revoke(key_id)
