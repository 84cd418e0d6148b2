"""Dagster code location of WedSync Analytics (loaded by `workspace.yaml`)."""
