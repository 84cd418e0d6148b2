// The couple-predictions panel (GET /api/predictions/couple-budget and /review-score): the
// estimated total budget of the couples whose first enquiry came to the supplier, and the review
// score its bookings awaiting a review are expected to get, each naming the champion model that
// scored them and saying when that champion is only the baseline (no model beat it yet).
// Loaded like market_panels.js: on each "wedsync:analytics-loaded" event it reads both routes with
// the event's authenticated getJson. Plain script, no build step; values written with textContent.
"use strict";

(() => {
  const whole = new Intl.NumberFormat("en-GB");
  const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
  const $ = (id) => document.getElementById(id);
  const percent = (x) => `${(Number(x) * 100).toFixed(1)}%`;
  const LISTED = 10;

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function table(id, headings) {
    return element("table", { id, class: "quality" }, [
      element("thead", {}, [element("tr", {}, headings.map((h) => element("th", {}, [h])))]),
      element("tbody"),
    ]);
  }

  function ensureCard() {
    if ($("couple-predictions-card")) return;
    const card = element("section", { id: "couple-predictions-card", class: "card wide", "aria-labelledby": "couple-predictions-title" }, [
      element("h2", { id: "couple-predictions-title" }, ["Your couples: budgets and expected reviews"]),
      element("h3", {}, ["Estimated budget at first enquiry"]),
      element("p", { id: "couple-budget-summary" }),
      table("couple-budget-rows", ["Couple", "First enquiry", "Estimated budget"]),
      element("p", { id: "couple-budget-model", class: "note" }),
      element("h3", {}, ["Bookings awaiting a review"]),
      element("p", { id: "review-score-summary" }),
      table("review-score-rows", ["Booking", "Wedding", "Expected score", "Chance of 4-5 stars"]),
      element("p", { id: "review-score-model", class: "note" }),
    ]);
    document.querySelector("#dashboard .grid").append(card);
  }

  // "couple_budget_at_first_enquiry v2, champion (gradient_boosting)", or the baseline said plainly.
  function describeModel(model, baselineMeans) {
    if (model === null) return "";
    const name = `${model.registered_model} v${model.version}, ${model.alias}`;
    return model.champion_is_baseline
      ? `${name}: the ${model.candidate} baseline, because no model has beaten it yet (${baselineMeans}).`
      : `${name} (${model.candidate}), promoted because it beat the baseline on held-out data.`;
  }

  function fill(id, rows) {
    $(id).querySelector("tbody").replaceChildren(...rows.map((cells) => element("tr", {}, cells.map((text) => element("td", {}, [text])))));
  }

  function unavailable(settled, what) {
    if (settled.status === "fulfilled" && settled.value !== null) return null;
    return settled.status === "rejected"
      ? `${what} unavailable: ${settled.reason.detail ?? settled.reason.message}`
      : `${what} are not served by this API yet.`;
  }

  function renderBudgets(settled) {
    fill("couple-budget-rows", []);
    $("couple-budget-model").textContent = "";
    const problem = unavailable(settled, "Budget estimates");
    if (problem) {
      $("couple-budget-summary").textContent = problem;
      return;
    }
    const answer = settled.value;
    $("couple-budget-summary").textContent = answer.couples
      ? `${whole.format(answer.couples)} couples · median estimated budget ${pounds.format(answer.median_predicted_budget_gbp)}`
        + ` (middle half ${pounds.format(answer.p25_predicted_budget_gbp)} to ${pounds.format(answer.p75_predicted_budget_gbp)})`
      : "No couple's first enquiry has come to you yet.";
    fill("couple-budget-rows", answer.predictions.slice(0, LISTED).map((row) => [
      row.couple_id, row.first_enquiry_date, pounds.format(row.predicted_budget_gbp),
    ]));
    $("couple-budget-model").textContent = describeModel(answer.model, "every couple gets the median budget");
  }

  function renderReviews(settled) {
    fill("review-score-rows", []);
    $("review-score-model").textContent = "";
    const problem = unavailable(settled, "Review estimates");
    if (problem) {
      $("review-score-summary").textContent = problem;
      return;
    }
    const answer = settled.value;
    $("review-score-summary").textContent = answer.bookings
      ? `${whole.format(answer.bookings)} bookings awaiting a review · expected score ${Number(answer.mean_expected_score).toFixed(2)}`
        + ` · ${percent(answer.mean_probability_good_review)} chance of 4-5 stars on average`
      : "No booking is awaiting a review.";
    fill("review-score-rows", answer.predictions.slice(0, LISTED).map((row) => [
      row.booking_id, row.wedding_date ?? "not set", Number(row.expected_score).toFixed(2), percent(row.probability_good_review),
    ]));
    $("review-score-model").textContent = describeModel(answer.model, "every booking gets the past share of each score");
  }

  document.addEventListener("wedsync:analytics-loaded", async (event) => {
    ensureCard();
    const [budgets, reviews] = await Promise.allSettled([
      event.detail.getJson(`/api/predictions/couple-budget?limit=${LISTED}`),
      event.detail.getJson(`/api/predictions/review-score?limit=${LISTED}`),
    ]);
    renderBudgets(budgets);
    renderReviews(reviews);
  });
})();
