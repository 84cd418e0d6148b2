"""What suppliers' open enquiries are worth: `predictions/pipeline_value`.

Reads the champion's scores (`predictions/booking_probability`) and prices each open enquiry at
the supplier's revenue per booking (see `ml.pipeline_value`), so it always agrees with the
probabilities the API serves.
"""

import datetime as dt

import dagster as dg

from ml.pipeline_value import pipeline_value, read_pipeline_inputs, replace_pipeline_value
from orchestration.defs.ml.assets import BOOKING_FEATURES, BOOKING_PREDICTIONS
from orchestration.resources import WarehouseResource

PIPELINE_VALUE = dg.AssetKey(["predictions", "pipeline_value"])
VENDOR_PERFORMANCE = dg.AssetKey(["marts", "vendor_performance"])


@dg.asset(
    key=PIPELINE_VALUE,
    deps=[BOOKING_PREDICTIONS, VENDOR_PERFORMANCE, BOOKING_FEATURES],
    group_name="ml",
    kinds={"postgres"},
    owners=["team:data-science"],
)
def supplier_pipeline_value(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """predictions.pipeline_value: each supplier's open enquiries, expected bookings and revenue.

    Expected revenue = Σ booking probability x expected booking value, where the booking value
    is the supplier's own revenue per booking (3+ bookings), else its vendor type's in its
    region, else its vendor type's nationally (`value_basis` says which).
    """
    scored_at = dt.datetime.now(dt.UTC)
    with warehouse.connection() as conn:
        scores, booking_values, model_version = read_pipeline_inputs(conn)
        valued = pipeline_value(scores, booking_values)
        written = replace_pipeline_value(conn, valued, model_version, scored_at)
    basis_counts = valued["value_basis"].value_counts()
    context.log.info(f"valued the open pipeline of {written} suppliers (model v{model_version})")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(written),
            "model_version": dg.MetadataValue.text(model_version),
            "open_enquiries": dg.MetadataValue.int(int(valued["open_enquiries"].sum())),
            "expected_bookings": dg.MetadataValue.float(float(valued["expected_bookings"].sum())),
            "expected_revenue_gbp": dg.MetadataValue.float(
                float(valued["expected_revenue_gbp"].sum())
            ),
            **{
                f"suppliers_valued_by_{basis}": dg.MetadataValue.int(int(count))
                for basis, count in basis_counts.items()
            },
            "suppliers_without_booking_value": dg.MetadataValue.int(
                int(valued["booking_value_gbp"].isna().sum())
            ),
        }
    )
