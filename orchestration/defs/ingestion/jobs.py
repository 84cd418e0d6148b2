"""The nightly export job: load one night's export of every entity (partitioned by export
date, as its assets are: Dagster infers the job's partitions from them).

Its runs execute in one process. A night is six COPYs of small files and 34 GX checks on that
night's rows; under the default multiprocess executor each of those 40 steps started its own
process and imported the whole code location first, so a daemon-launched night spent minutes
of CPU on imports for seconds of work. (`make build` loads history with `execute_in_process`,
which was always in-process.)
"""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets

nightly_exports_job = dg.define_asset_job(
    name="nightly_exports",
    selection=dg.AssetSelection.assets(*export_assets),
    executor_def=dg.in_process_executor,
    description="Load the WedSync platform's nightly exports of one date into raw.*.",
)
