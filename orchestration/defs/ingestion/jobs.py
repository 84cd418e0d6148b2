"""The nightly export job: load one night's export of every entity."""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.partitions import export_date_partitions

nightly_exports_job = dg.define_asset_job(
    name="nightly_exports",
    selection=dg.AssetSelection.assets(*export_assets),
    partitions_def=export_date_partitions,
    description="Load the WedSync platform's nightly exports of one date into raw.*.",
)
