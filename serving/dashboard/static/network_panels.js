// The vendor network panel (GET /api/suppliers/{supplier_id}/network): the suppliers a supplier's
// couples also booked, and which of them are referral partners (couples book them soon after
// this supplier far more often than chance). Loaded like market_panels.js: on each
// "wedsync:analytics-loaded" event it reads the caller's supplier id from the metrics answer
// (a platform key has none and picks a supplier in the card) and then the network route, with
// the event's authenticated getJson. Plain script, no build step; every value from the API is
// written with textContent.
"use strict";

(() => {
  const PARTNERS_SHOWN = 10;
  const SUPPLIER_ID = /^sup_[0-9]{6}$/;
  const whole = new Intl.NumberFormat("en-GB");
  const $ = (id) => document.getElementById(id);
  const known = (x) => x !== null && x !== undefined;
  const percent = (x) => (known(x) ? `${(Number(x) * 100).toFixed(1)}%` : "–");
  const times = (x) => (known(x) ? `${Number(x).toFixed(1)}×` : "–");
  const interval = (value, low, high, format) =>
    (known(value) && known(low) && known(high) ? `${format(value)} (${format(low)} to ${format(high)})` : format(value));
  let getJson = null;

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  const HEADINGS = ["Partner", "Type", "Couples who followed", "Rate (95% interval)", "Chance", "Lift over chance", "Referral partner"];

  function ensureCard() {
    if ($("network-card")) return;
    const card = element("section", { id: "network-card", class: "card wide", "aria-labelledby": "network-title" }, [
      element("h2", { id: "network-title" }, ["Vendor network and referrals"]),
      element("form", { id: "network-form", hidden: "" }, [
        element("label", { for: "network-supplier" }, ["Supplier"]),
        element("input", { id: "network-supplier", name: "supplier", required: "", pattern: SUPPLIER_ID.source.slice(1, -1), placeholder: "sup_000123" }),
        element("button", { type: "submit" }, ["Show network"]),
      ]),
      element("p", { id: "network-summary" }),
      element("table", { id: "network-partners", class: "quality" }, [
        element("thead", {}, [element("tr", {}, HEADINGS.map((h) => element("th", {}, [h])))]),
        element("tbody"),
      ]),
      element("p", { id: "network-note", class: "note" }),
    ]);
    document.querySelector("#dashboard .grid").append(card);
    $("network-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const supplierId = $("network-supplier").value.trim();
      if (SUPPLIER_ID.test(supplierId)) showNetwork(supplierId);
    });
  }

  function clear(note) {
    $("network-summary").textContent = "";
    $("network-partners").querySelector("tbody").replaceChildren();
    $("network-note").textContent = note;
  }

  function render(answer) {
    const partners = answer.partners;
    const shown = partners.slice(0, PARTNERS_SHOWN);
    $("network-summary").textContent = partners.length
      ? `${whole.format(answer.referral_partners)} of ${whole.format(partners.length)} suppliers that ${answer.supplier_id}'s`
        + " couples also booked look like referral partners."
      : `No couple has booked ${answer.supplier_id} together with another supplier yet.`;
    $("network-partners").querySelector("tbody").replaceChildren(...shown.map((row) => element("tr", {}, [
      row.partner_business_name ?? row.partner_id,
      row.partner_vendor_type ?? "–",
      `${whole.format(row.followed_couples)} of ${whole.format(row.couples)}`,
      interval(row.follow_rate, row.follow_rate_low, row.follow_rate_high, percent),
      percent(row.base_rate),
      interval(row.lift, row.lift_low, row.lift_high, times),
      row.is_predicted_referral ? "yes" : "no",
    ].map((text) => element("td", {}, [text])))));
    $("network-note").textContent = "Rate: the share of the supplier's couples who booked the partner within 90 days"
      + " after it. Chance: the partner's rate after the region's other bookings. A referral partner has at least"
      + " 3 such couples and a lift whose lower bound is at least 2. Regions with fewer than 5 booked suppliers are"
      + ` not published.${partners.length > PARTNERS_SHOWN ? ` The strongest ${PARTNERS_SHOWN} are shown.` : ""}`;
  }

  async function showNetwork(supplierId) {
    clear("Loading…");
    const [settled] = await Promise.allSettled([getJson(`/api/suppliers/${supplierId}/network`)]);
    if (settled.status === "rejected") {
      clear(`Vendor network unavailable: ${settled.reason.detail ?? settled.reason.message}`);
    } else if (settled.value === null) {
      clear(`No supplier ${supplierId}.`);
    } else {
      clear("");
      render(settled.value);
    }
  }

  document.addEventListener("wedsync:analytics-loaded", async (event) => {
    ensureCard();
    getJson = event.detail.getJson;
    const [metrics] = await Promise.allSettled([getJson("/api/analytics/metrics")]);
    const supplierId = metrics.status === "fulfilled" ? metrics.value?.supplier_id ?? null : null;
    $("network-form").hidden = supplierId !== null;
    if (supplierId !== null) {
      await showNetwork(supplierId);
    } else {
      clear("Pick a supplier to see its network.");
    }
  });
})();
