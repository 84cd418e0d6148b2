"""Predictive analytics: booking probability, pipeline value, demand forecast, price advice.

Booking model: `features` → `candidates` → `training` / `evaluation` / `oracle` → `publish`
(MLflow run, registry, `registry` promotion) → `scoring` (batch) and `champion` (online).
Then `pipeline_value`, `demand` (forecast with backtest) and `pricing`, each publishing one
`predictions.*` table through `tables.replace_table`.
Depends only on `wedsync`; the Dagster assets in `orchestration/defs/ml/` call into it.
"""
