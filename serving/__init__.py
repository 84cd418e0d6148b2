"""The WedSync Analytics API: live-event ingestion and the analytics that dashboards read."""
