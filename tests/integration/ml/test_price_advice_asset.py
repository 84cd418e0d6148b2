"""`predictions/price_advice` from the demand forecast, features and vendor performance."""

import dagster as dg
import psycopg
import pytest

from ml.pricing import PRICE_BANDS
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
        # The usual band's enquiries re-priced into each neighbour: a move needs the revenue
        # change's whole 95% interval above zero (the highest lower bound wins); otherwise hold.
        moves = {e["price_band"]: e["if_moved"] for e in evidence if "if_moved" in e}
        assert moves and usual not in moves
        assert all(abs(PRICE_BANDS.index(b) - PRICE_BANDS.index(usual)) == 1 for b in moves)
        for claim in moves.values():
            low, high = claim["conversion_change_low"], claim["conversion_change_high"]
            assert low <= claim["conversion_change"] <= high
        paying = {b: m["revenue_change_share_low"] for b, m in moves.items()}
        paying = {b: low for b, low in paying.items() if low > 0}
        if band == usual:
            assert change == "hold" and not paying
        else:
            assert band == max(paying, key=lambda b: paying[b])
        for entry in evidence:
            if entry["decided_enquiries"]:
                assert entry["conversion"] == pytest.approx(
                    entry["bookings"] / entry["decided_enquiries"], abs=1e-4
                )
    for _, _, evidence, _, _ in advice:
        bands = [entry["price_band"] for entry in evidence]
        assert bands == sorted(bands, key=PRICE_BANDS.index)
