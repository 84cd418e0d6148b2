"""Who may call: API keys, access and refresh tokens, and tenant isolation in Postgres."""
