"""How much a caller may use: tiered rate limits, the wedding-day floor, usage metering."""
