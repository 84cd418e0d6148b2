"""Dagster code location of WedSync Analytics (loaded by `workspace.yaml`).

Dagster prints a notice each time a beta or preview API is used (code references, backfill
policies...). The platform uses them on purpose, so, as dagster-open-platform's definitions do,
the notices are silenced here, before any asset is defined; deprecations still show, and the
test suite (pyproject.toml) makes those from our packages errors.
"""

import warnings

import dagster as dg

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
