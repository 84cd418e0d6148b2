"""The serving domain: the cache version the API keys its answers by."""
