"""The couple-budget and review-score routes (issue 14): tenancy, tiers, cache and ETag, the
champion named, 503 before the first scoring run.

The rows are tests/issue14_marts.py's (part of `insight_marts`): the photographer's three
couples and two bookings, one couple and one booking of the venue."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import FLORIST, PHOTOGRAPHER, VENUE, bearer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

BUDGET = "/api/predictions/couple-budget"
REVIEW = "/api/predictions/review-score"


async def test_a_supplier_sees_its_own_couples_budgets_and_the_champion_that_scored_them(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(BUDGET, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    budgets = answer.json()
    assert budgets["supplier_id"] == PHOTOGRAPHER
    assert budgets["model"] == {
        "registered_model": "couple_budget_at_first_enquiry",
        "alias": "champion",
        "version": "2",
        "candidate": "gradient_boosting",
        "champion_is_baseline": False,
        "scored_at": "2026-11-30T06:00:00+00:00",
    }
    assert budgets["couples"] == 3
    assert budgets["mean_predicted_budget_gbp"] == 24000
    assert (budgets["p25_predicted_budget_gbp"], budgets["p75_predicted_budget_gbp"]) == (
        21000,
        27000,
    )
    # Newest enquirers first; the venue's couple is not there.
    assert [row["couple_id"] for row in budgets["predictions"]] == [
        "cpl_000102",
        "cpl_000101",
        "cpl_000103",
    ]
    assert b"cpl_000201" not in answer.content and VENUE.encode() not in answer.content
    assert answer.headers["x-cache"] == "miss"
    again = await api.get(
        BUDGET, headers={**bearer(keys[PHOTOGRAPHER]), "If-None-Match": answer.headers["etag"]}
    )
    assert (again.status_code, again.headers["x-cache"]) == (304, "hit")


async def test_a_supplier_sees_its_own_bookings_review_scores_and_that_the_prior_serves_them(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(REVIEW, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    reviews = answer.json()
    assert reviews["model"]["version"] == "1"
    assert reviews["model"]["candidate"] == "prior"
    assert reviews["model"]["champion_is_baseline"] is True
    assert reviews["bookings"] == 2
    assert reviews["mean_probability_good_review"] == pytest.approx(0.86)
    assert {row["booking_id"] for row in reviews["predictions"]} == {"bkg_0000101", "bkg_0000102"}
    # A booking without a wedding date yet is listed after those with one.
    assert [row["wedding_date"] for row in reviews["predictions"]] == ["2027-06-12", None]
    assert b"bkg_0000201" not in answer.content


async def test_a_supplier_without_scored_couples_gets_an_empty_answer_and_no_model(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = (await api.get(BUDGET, headers=bearer(keys[FLORIST]))).json()
    assert (answer["couples"], answer["predictions"], answer["model"]) == (0, [], None)
    assert answer["mean_predicted_budget_gbp"] is None


async def test_another_suppliers_rows_are_not_found(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    for path in (BUDGET, REVIEW):
        answer = await api.get(
            path, params={"supplier_id": VENUE}, headers=bearer(keys[PHOTOGRAPHER])
        )
        assert answer.status_code == 404


async def test_the_platform_sees_every_supplier_narrows_to_one_and_limits_the_list(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    platform = bearer(keys["platform"])
    everyone = (await api.get(BUDGET, headers=platform)).json()
    assert everyone["supplier_id"] is None
    assert everyone["couples"] == 4
    assert everyone["median_predicted_budget_gbp"] == 27000
    assert everyone["predictions"][0]["couple_id"] == "cpl_000201"  # the newest enquirer
    venue = (await api.get(BUDGET, params={"supplier_id": VENUE}, headers=platform)).json()
    assert [row["couple_id"] for row in venue["predictions"]] == ["cpl_000201"]
    first = (await api.get(REVIEW, params={"limit": 1}, headers=platform)).json()
    assert (first["bookings"], first["limit"], len(first["predictions"])) == (3, 1, 1)
    too_many = await api.get(REVIEW, params={"limit": 1001}, headers=platform)
    assert too_many.status_code == 422


@pytest.mark.parametrize("path", [BUDGET, REVIEW])
async def test_the_free_tier_is_refused(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str], path: str
) -> None:
    answer = await api.get(path, headers=bearer(keys[VENUE]))  # the venue's key is free tier
    assert answer.status_code == 403
    assert "professional" in answer.json()["detail"]


@pytest.mark.parametrize(("path", "table"), [(BUDGET, "couple_budget"), (REVIEW, "review_score")])
async def test_before_the_first_scoring_the_answer_is_503_naming_the_table(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str], path: str, table: str
) -> None:
    answer = await api.get(path, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 503
    assert f"predictions.{table}" in answer.json()["detail"]
