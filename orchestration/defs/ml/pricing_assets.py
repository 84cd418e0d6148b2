"""Which price band to quote next year: `predictions/price_advice`, with its evidence."""

import datetime as dt

import dagster as dg

from ml.pricing import price_advice, read_price_inputs, replace_price_advice
from orchestration.defs.ml.assets import BOOKING_FEATURES
from orchestration.defs.ml.forecast_assets import DEMAND_FORECAST
from orchestration.defs.ml.pipeline_assets import VENDOR_PERFORMANCE
from orchestration.resources import WarehouseResource

PRICE_ADVICE = dg.AssetKey(["predictions", "price_advice"])


@dg.asset(
    key=PRICE_ADVICE,
    deps=[DEMAND_FORECAST, BOOKING_FEATURES, VENDOR_PERFORMANCE],
    group_name="ml",
    kinds={"postgres"},
    owners=["team:data-science"],
)
def price_band_advice(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """predictions.price_advice: the price band earning most per enquiry, per segment month.

    Demand level (high / low) comes from the demand forecast; for each price band the evidence
    is the segment's decided enquiries in months of that level: sample size, conversion with a
    95% Wilson interval, booking value, revenue per enquiry (kept in the `evidence` column).
    The advice re-prices the usual band's enquiries one band up and down (`ml.price_response`)
    and moves only when the revenue change's 95% interval is above zero.
    """
    with warehouse.connection() as conn:
        try:
            upcoming, evidence, usual_bands, settled, enquiries = read_price_inputs(conn)
        except LookupError as missing:
            raise dg.Failure(str(missing)) from missing
    advice = price_advice(upcoming, evidence, usual_bands, settled, enquiries)
    with warehouse.connection() as conn:
        written = replace_price_advice(conn, advice, dt.datetime.now(dt.UTC))
    recommended = advice["recommended_price_band"]
    changes = advice["price_change"].value_counts()
    context.log.info(f"price advice for {written} segment months")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(written),
            "without_enough_evidence": dg.MetadataValue.int(int(recommended.isna().sum())),
            **{
                f"price_change_{change}": dg.MetadataValue.int(int(count))
                for change, count in changes.items()
            },
            **{
                f"recommended_{band}": dg.MetadataValue.int(int(count))
                for band, count in recommended.value_counts().items()
            },
            "median_decided_enquiries": dg.MetadataValue.float(
                float(advice["decided_enquiries"].median())
            ),
        }
    )
