"""`predictions/price_advice` from the demand forecast, features and vendor performance."""

import dagster as dg
import psycopg
import pytest

from ml.pricing import MIN_DECIDED_ENQUIRIES, PRICE_BANDS
from orchestration.defs.ml.forecast_assets import demand_forecast
from orchestration.defs.ml.pricing_assets import PRICE_ADVICE, price_band_advice
from tests.integration.ml.synthetic_features import write_demand_history
from tests.integration.ml.world import MlWorld, materialization_metadata
from tests.unit.ml.synthetic_demand import synthetic_climate_normals, synthetic_demand_history

pytestmark = pytest.mark.integration


def test_price_advice_moves_a_band_only_when_its_interval_says_so(ml_world: MlWorld) -> None:
    write_demand_history(
        ml_world.database_url, synthetic_demand_history(seed=4), synthetic_climate_normals()
    )
    result = dg.materialize(
        [demand_forecast, price_band_advice],
        resources=ml_world.resources,
        run_config=dg.RunConfig(
            ops={
                "predictions__demand_forecast": {
                    "config": {"validation_months": 1, "test_months": 1}
                }
            }
        ),
    )
    assert result.success
    metadata = materialization_metadata(result, PRICE_ADVICE)

    with psycopg.connect(ml_world.database_url) as conn:
        forecast_rows = conn.execute("select count(*) from predictions.demand_forecast").fetchone()
        advice = conn.execute(
            "select recommended_price_band, price_change, evidence, decided_enquiries, "
            "usual_price_band "
            "from predictions.price_advice"
        ).fetchall()
    assert forecast_rows is not None and len(advice) == forecast_rows[0]
    assert metadata["dagster/row_count"].value == len(advice)

    recommended = [row for row in advice if row[0] is not None]
    assert recommended, "synthetic history should give some segment months enough evidence"
    for band, change, evidence, decided, usual in recommended:
        assert change in {"up", "down", "hold"}
        assert decided == sum(entry["decided_enquiries"] for entry in evidence)
        assert abs(PRICE_BANDS.index(band) - PRICE_BANDS.index(usual)) <= 1
        eligible = [
            entry
            for entry in evidence
            if entry["decided_enquiries"] >= MIN_DECIDED_ENQUIRIES
            and abs(PRICE_BANDS.index(entry["price_band"]) - PRICE_BANDS.index(usual)) <= 1
        ]
        # A move away from the usual band needs the neighbour's whole revenue-per-enquiry
        # interval above the usual band's; otherwise the advice holds the usual band.
        usual_entry = next(e for e in eligible if e["price_band"] == usual)
        usual_high = usual_entry["conversion_ci_high"] * usual_entry["booking_value_gbp"]
        clearly_above = [
            e
            for e in eligible
            if e["price_band"] != usual
            and e["conversion_ci_low"] * e["booking_value_gbp"] > usual_high + 0.01
        ]
        if band == usual:
            assert not clearly_above
        else:
            best = max(clearly_above, key=lambda e: e["conversion_ci_low"] * e["booking_value_gbp"])
            assert best["price_band"] == band
        for entry in evidence:
            assert entry["conversion"] == pytest.approx(
                entry["bookings"] / entry["decided_enquiries"], abs=1e-4
            )
    for _, _, evidence, _, _ in advice:
        bands = [entry["price_band"] for entry in evidence]
        assert bands == sorted(bands, key=PRICE_BANDS.index)
