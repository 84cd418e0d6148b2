"""Live events: the `POST /api/events` contract, validation, durable storage and live counters."""
