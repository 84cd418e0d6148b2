"""The live-events domain: `raw/events` (written by the API) and the sensor that follows it."""
