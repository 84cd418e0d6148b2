"""The ML domain: the booking model, its predictions, pipeline value, forecasts, pricing."""

import dagster as dg

from orchestration.defs.ingestion.resources import landing_zone_resource
from orchestration.defs.ml.assets import ml_assets
from orchestration.defs.ml.couple_model_assets import couple_model_assets
from orchestration.defs.ml.forecast_assets import demand_forecast
from orchestration.defs.ml.pipeline_assets import supplier_pipeline_value
from orchestration.defs.ml.pricing_assets import price_band_advice
from orchestration.defs.ml.resources import mlflow_resource
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """Definitions of the ML domain (the features asset comes from the dbt domain)."""
    return dg.Definitions(
        # Each asset links to the function that computes it in the Dagster UI.
        assets=dg.with_source_code_references(
            [
                *ml_assets,
                *couple_model_assets,
                supplier_pipeline_value,
                demand_forecast,
                price_band_advice,
            ]
        ),
        resources={
            "warehouse": warehouse_resource(),
            "landing_zone": landing_zone_resource(),
            "mlflow": mlflow_resource(),
        },
    )
