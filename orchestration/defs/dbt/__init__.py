"""The dbt domain: every dbt model, seed and test of `dbt_project/` as Dagster assets and checks."""
