"""Settings, database pool, background loops and request accounting every room uses."""
