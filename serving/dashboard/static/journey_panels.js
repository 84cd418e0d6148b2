// The couple's journey panel (GET /api/analytics/couple-journey): per market, what couples booked
// by budget band and (venues, caterers) by guest-count band, and how long after their first
// enquiry they booked, each figure with its 95% interval. Loaded like market_panels.js: on each
// "wedsync:analytics-loaded" event it reads the route with the event's authenticated getJson.
// Plain script, no build step; every value from the API is written with textContent.
"use strict";

(() => {
  const whole = new Intl.NumberFormat("en-GB");
  const pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
  const $ = (id) => document.getElementById(id);
  const known = (x) => x !== null && x !== undefined;
  const percent = (x) => `${(Number(x) * 100).toFixed(1)}%`;
  const score = (x) => Number(x).toFixed(2);
  const days = (x) => Number(x).toFixed(1);
  // "4.40 (4.10 to 4.70)": the figure and its interval, "–" when the cell has no such figure.
  const interval = (value, low, high, format) => {
    if (!known(value)) return "–";
    return known(low) && known(high) ? `${format(value)} (${format(low)} to ${format(high)})` : format(value);
  };
  // A market is a vendor type in a region; region "all" is the vendor type nationally.
  const marketOf = (row) => `${row.vendor_type} in ${row.region === "all" ? "all regions" : row.region}`;
  const regionalFirst = (a, b) => a.endsWith(" all regions") - b.endsWith(" all regions") || a.localeCompare(b);
  let answer = null;

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  const HEADINGS = ["Bookings", "Review score", "Premium or luxury", "Mean value"];

  function table(id, bandHeading) {
    return element("table", { id, class: "quality" }, [
      element("thead", {}, [element("tr", {}, [bandHeading, ...HEADINGS].map((h) => element("th", {}, [h])))]),
      element("tbody"),
    ]);
  }

  function ensureCard() {
    if ($("journey-card")) return;
    const card = element("section", { id: "journey-card", class: "card wide", "aria-labelledby": "journey-title" }, [
      element("h2", { id: "journey-title" }, ["The couple's journey"]),
      element("label", { for: "journey-market" }, ["Market"]),
      element("select", { id: "journey-market" }),
      element("h3", {}, ["Budget versus what couples booked"]),
      table("journey-budget", "Budget (£)"),
      element("h3", {}, ["Guest count and choice"]),
      table("journey-guests", "Guests"),
      element("p", { id: "journey-guests-note", class: "note" }),
      element("h3", {}, ["Time from first enquiry to booking"]),
      element("p", { id: "journey-time" }),
      element("p", { id: "journey-note", class: "note" }),
    ]);
    document.querySelector("#dashboard .grid").append(card);
    $("journey-market").addEventListener("change", renderMarket);
  }

  function fillTable(id, rows) {
    const body = $(id).querySelector("tbody");
    body.replaceChildren(...rows.map((row) => element("tr", {}, [
      row.band,
      whole.format(row.bookings),
      interval(row.mean_review_score, row.review_score_ci_low, row.review_score_ci_high, score),
      interval(row.upper_price_band_share, row.upper_price_band_ci_low, row.upper_price_band_ci_high, percent),
      interval(row.mean_booking_value_gbp, row.booking_value_ci_low_gbp, row.booking_value_ci_high_gbp, pounds.format),
    ].map((text) => element("td", {}, [text])))));
  }

  function renderMarket() {
    const market = $("journey-market").value;
    const inMarket = (rows) => rows.filter((row) => marketOf(row) === market);
    fillTable("journey-budget", inMarket(answer.budget_versus_quality));
    const guests = inMarket(answer.guest_count_choice);
    fillTable("journey-guests", guests);
    $("journey-guests-note").textContent = guests.length ? "" : "Guest-count bands are shown for venues and caterers.";
    const [overall] = inMarket(answer.time_to_booking);
    $("journey-time").textContent = overall && known(overall.mean_days_to_booking)
      ? `Couples who booked within ${whole.format(overall.horizon_days)} days of their first enquiry did so`
        + ` after ${days(overall.mean_days_to_booking)} days on average (95% interval`
        + ` ${days(overall.days_to_booking_ci_low)} to ${days(overall.days_to_booking_ci_high)};`
        + ` ${whole.format(overall.settled_bookings)} bookings of couples who enquired at least that long ago).`
      : "Not enough settled couples yet to say how long they take.";
  }

  function render(settled) {
    const select = $("journey-market");
    select.replaceChildren();
    answer = null;
    for (const id of ["journey-budget", "journey-guests"]) $(id).querySelector("tbody").replaceChildren();
    $("journey-time").textContent = "";
    $("journey-guests-note").textContent = "";
    if (settled.status === "rejected" || settled.value === null) {
      $("journey-note").textContent = settled.status === "rejected"
        ? `The couple's journey unavailable: ${settled.reason.detail ?? settled.reason.message}`
        : "The couple's journey is not served by this API yet.";
      return;
    }
    answer = settled.value;
    const markets = [...new Set([...answer.budget_versus_quality, ...answer.time_to_booking].map(marketOf))].sort(regionalFirst);
    select.append(...markets.map((market) => element("option", { value: market }, [market])));
    $("journey-note").textContent = markets.length
      ? "95% intervals: Wilson for shares, normal approximation for means. Bands booked with fewer than 5 suppliers are not published."
      : "No market of yours has 5 or more booked suppliers yet: the journey is not published below that.";
    if (markets.length) renderMarket();
  }

  document.addEventListener("wedsync:analytics-loaded", async (event) => {
    ensureCard();
    const [journey] = await Promise.allSettled([event.detail.getJson("/api/analytics/couple-journey")]);
    render(journey);
  });
})();
