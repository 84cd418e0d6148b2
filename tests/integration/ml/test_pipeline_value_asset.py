"""`predictions/pipeline_value` against a real Postgres, priced from the champion's scores."""

import dagster as dg
import psycopg
import pytest

from ml.pipeline_value import LIKELY_LEVEL, MIN_SUPPLIER_BOOKINGS
from ml.truth_report import pipeline_against_truth, range_coverage
from orchestration.defs.ml.assets import ml_assets
from orchestration.defs.ml.pipeline_assets import PIPELINE_VALUE, supplier_pipeline_value
from tests.integration.ml.synthetic_features import booking_values
from tests.integration.ml.world import MlWorld, materialization_metadata

pytestmark = pytest.mark.integration


def test_pipeline_value_prices_each_suppliers_open_enquiries(ml_world: MlWorld) -> None:
    result = dg.materialize([*ml_assets, supplier_pipeline_value], resources=ml_world.resources)
    assert result.success
    metadata = materialization_metadata(result, PIPELINE_VALUE)
    assert metadata["model_version"].value == "1"
    assert metadata["open_enquiries"].value == ml_world.open_enquiries

    with psycopg.connect(ml_world.database_url) as conn:
        pipeline = {
            row[0]: row[1:]
            for row in conn.execute(
                "select supplier_id, open_enquiries, expected_bookings, "
                "expected_revenue_gbp::float, booking_value_gbp::float, value_basis, model_version "
                "from predictions.pipeline_value"
            ).fetchall()
        }
        probability_sums = dict(
            conn.execute(
                "select supplier_id, sum(probability) from predictions.booking_probability "
                "group by supplier_id"
            ).fetchall()
        )
    assert set(pipeline) == set(probability_sums)

    enquiries = ml_world.enquiries.assign(value=booking_values(ml_world.enquiries))
    booked = enquiries[enquiries["outcome"] == "booked"].groupby("supplier_id")["value"]
    supplier_id = next(s for s in pipeline if booked.count().get(s, 0) >= MIN_SUPPLIER_BOOKINGS)
    open_count, expected_bookings, revenue, value, basis, version = pipeline[supplier_id]
    assert basis == "supplier" and version == "1"
    assert value == pytest.approx(booked.mean()[supplier_id], abs=0.01)
    assert expected_bookings == pytest.approx(probability_sums[supplier_id])
    assert revenue == pytest.approx(expected_bookings * value, abs=0.05)
    assert open_count == int(
        ((enquiries["supplier_id"] == supplier_id) & (enquiries["outcome"] == "open")).sum()
    )


def test_open_pipeline_matches_what_really_books_by_age(ml_world: MlWorld) -> None:
    assert dg.materialize(ml_assets, resources=ml_world.resources).success
    truth = ml_world.resources["landing_zone"].path / "_truth"  # type: ignore[attr-defined]
    with psycopg.connect(ml_world.database_url) as conn:
        report = pipeline_against_truth(conn, truth)
    assert report is not None
    by_band = report.set_index("age_band")
    overall = by_band.loc["all"]
    assert overall["open_enquiries"] == ml_world.open_enquiries
    assert overall["ratio"] == pytest.approx(1.0, abs=0.15)
    # An enquiry 43+ days old has had most of its chance: scored at its age, not at arrival.
    old = by_band.loc["43+"]
    assert old["expected_bookings"] / old["open_enquiries"] < 0.05
    assert (by_band["gap_per_enquiry"].abs() < 0.05).all()


def test_each_suppliers_likely_range_holds_what_really_books(ml_world: MlWorld) -> None:
    """The range a supplier is shown beside its pipeline, held against the simulator's truth."""
    assert dg.materialize([*ml_assets, supplier_pipeline_value], resources=ml_world.resources)
    truth = ml_world.resources["landing_zone"].path / "_truth"  # type: ignore[attr-defined]
    with psycopg.connect(ml_world.database_url) as conn:
        coverage = range_coverage(conn, truth)
        widest = conn.execute(
            "select max(bookings_high - bookings_low) from predictions.pipeline_value"
        ).fetchone()
    assert coverage is not None
    covered, suppliers = coverage
    assert suppliers > 20 and covered / suppliers >= LIKELY_LEVEL
    assert widest is not None and widest[0] > 0  # a range, not the point estimate again
