"""Integration tests of the wedding quality rules on real Postgres, GX and Dagster."""
