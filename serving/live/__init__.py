"""The live feed: today's counters in Redis and a per-process hub fanning deltas out to WebSockets.

`counters` sums acknowledged events into Redis; `hub` and its helpers push them to dashboards.
The route that serves them (and installs the hub) is `serving.api.routes.realtime`.
"""
