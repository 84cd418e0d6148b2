"""The nightly export job: load one night's export of every entity (partitioned by export
date, as its assets are: Dagster infers the job's partitions from them)."""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets

nightly_exports_job = dg.define_asset_job(
    name="nightly_exports",
    selection=dg.AssetSelection.assets(*export_assets),
    description="Load the WedSync platform's nightly exports of one date into raw.*.",
)
