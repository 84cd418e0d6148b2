"""What the full stack answered: per caller, path and query string, the cached answer it came to.

A dashboard repeats the same few reads all day. Working out which cached answer a request maps
to takes FastAPI's routing, authentication, validation and the route's own rules (which supplier
a caller sees, its tier); once the full stack has done that for a caller and an exact request,
the mapping cannot change (the data version is not part of it), so each worker remembers it and
`serving.api.hot_reads` answers the repeats without the full stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from wedsync.api_keys import Principal

#: Per worker; when full it starts again (the full stack relearns what is still asked).
MAX_LEARNED_READS = 50_000


@dataclass(frozen=True)
class LearnedRead:
    """Where a request's answer is cached: its dataset and normalized query, and its route."""

    route: str  # the route's path template, so metrics count the hot path's answers under it
    dataset: str
    query: str


class LearnedReads:
    """Reads the full stack answered with a fresh cached answer, by caller and exact request."""

    def __init__(self, max_entries: int = MAX_LEARNED_READS) -> None:
        self._reads: dict[tuple[Principal, str, bytes], LearnedRead] = {}
        self._max_entries = max_entries

    def learn(
        self, principal: Principal, path: str, query_string: bytes, read: LearnedRead
    ) -> None:
        """Remember that this caller's request maps to `read`."""
        if len(self._reads) >= self._max_entries:
            self._reads.clear()
        self._reads[(principal, path, query_string)] = read

    def recall(self, principal: Principal, path: str, query_string: bytes) -> LearnedRead | None:
        """The read the full stack made of this caller's request; None when never answered."""
        return self._reads.get((principal, path, query_string))
