// Market gaps and peak-season capacity panels (GET /api/analytics/market-gaps and /capacity).
// dashboard.js announces each load of the analytics with a "wedsync:analytics-loaded" event that
// carries its authenticated getJson; these panels then read their two routes with it. Plain
// script, no build step; every value from the API is written with textContent, never as HTML.
"use strict";

(() => {
  const TOP_GAPS_SHOWN = 5;
  const whole = new Intl.NumberFormat("en-GB");
  const oneDecimal = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
  const monthName = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
  const dayName = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const $ = (id) => document.getElementById(id);
  const percent = (x) => (x == null ? "–" : `${(Number(x) * 100).toFixed(1)}%`);
  const month = (iso) => monthName.format(new Date(`${iso}T00:00:00Z`));
  const day = (iso) => dayName.format(new Date(`${iso}T00:00:00Z`));
  const reason = (settled) => settled.reason.detail ?? settled.reason.message;

  // The two cards, added to the dashboard's grid once (index.html only loads this script).
  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function ensureCards() {
    if ($("market-gaps-card")) return;
    const gaps = element("section", { id: "market-gaps-card", class: "card wide", "aria-labelledby": "market-gaps-title" }, [
      element("h2", { id: "market-gaps-title" }, ["Market gaps: couples who found no room"]),
      element("div", { class: "chart" }, [
        element("canvas", { id: "market-gaps-chart", "aria-label": "Couples turned away and the no-room share per wedding month" }),
      ]),
      element("ol", { id: "market-gaps-top", class: "alerts" }),
      element("p", { id: "market-gaps-note", class: "note" }),
    ]);
    const capacity = element("section", { id: "capacity-card", class: "card wide", "aria-labelledby": "capacity-title" }, [
      element("h2", { id: "capacity-title" }, ["Peak-season capacity"]),
      element("dl", { id: "capacity-figures", class: "counters" }),
      element("p", { id: "capacity-busiest", class: "note" }),
      element("p", { id: "capacity-holidays", class: "note" }),
      element("p", { id: "capacity-note", class: "note" }),
    ]);
    document.querySelector("#dashboard .grid").append(gaps, capacity);
  }

  // ---- market gaps ----

  // Per wedding month over the caller's markets: couples turned away, and the no-room share.
  function monthly(rows) {
    const months = new Map();
    for (const row of rows) {
      const entry = months.get(row.wedding_month) ?? { unmet: 0, noRoom: 0, enquiries: 0 };
      entry.unmet += Number(row.unmet_couples);
      entry.noRoom += Number(row.no_room_enquiries);
      entry.enquiries += Number(row.enquiries);
      months.set(row.wedding_month, entry);
    }
    return [...months.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  const chartLoaded = () => typeof Chart !== "undefined";

  function drawGapsChart(rows) {
    if (!chartLoaded()) return; // the vendored script failed to load: the list still shows
    Chart.getChart("market-gaps-chart")?.destroy();
    const months = monthly(rows);
    new Chart($("market-gaps-chart"), {
      data: {
        labels: months.map(([iso]) => month(iso)),
        datasets: [
          { type: "bar", label: "Couples turned away", data: months.map(([, m]) => Number(m.unmet.toFixed(2))),
            backgroundColor: "#b0486b", yAxisID: "couples", order: 2 },
          { type: "line", label: "No-room share (%)", yAxisID: "share", order: 1,
            data: months.map(([, m]) => (m.enquiries ? Number(((100 * m.noRoom) / m.enquiries).toFixed(1)) : null)),
            borderColor: "#4a6fa5", backgroundColor: "#4a6fa5", tension: 0.3 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          couples: { position: "left", beginAtZero: true, title: { display: true, text: "couples" } },
          share: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            title: { display: true, text: "% of enquiries" } },
        },
      },
    });
  }

  function renderGaps(settled) {
    const list = $("market-gaps-top");
    list.replaceChildren();
    if (settled.status === "rejected" || settled.value === null) {
      if (chartLoaded()) Chart.getChart("market-gaps-chart")?.destroy();
      $("market-gaps-note").textContent = settled.status === "rejected"
        ? `Market gaps unavailable: ${reason(settled)}` : "Market gaps are not served by this API yet.";
      return;
    }
    const answer = settled.value;
    drawGapsChart(answer.market_gaps);
    for (const gap of answer.top_gaps.slice(0, TOP_GAPS_SHOWN)) {
      const parts = [
        `${month(gap.wedding_month)} · ${gap.vendor_type} in ${gap.region}: `
          + `${oneDecimal.format(gap.unmet_couples)} couples turned away`,
        `${percent(gap.no_room_share)} of ${whole.format(gap.enquiries)} enquiries found no room`,
      ];
      if (gap.bank_holiday_weekends > 0) {
        parts.push(`${gap.bank_holiday_weekends} bank-holiday weekend${gap.bank_holiday_weekends === 1 ? "" : "s"}`);
      }
      list.append(element("li", {}, [parts.join(" · ")]));
    }
    $("market-gaps-note").textContent = answer.market_gaps.length
      ? "Where a new supplier would find the most couples who found every date taken."
      : "No market of yours has 5 or more suppliers yet: market figures are not published below that.";
  }

  // ---- capacity ----

  function figure(term, value) {
    const entry = element("div", {}, [element("dt", {}, [term]), element("dd", {}, [value])]);
    $("capacity-figures").append(entry);
  }

  const places = (row, season) => Number(row[`${season}_saturdays`]) * Number(row.weddings_per_date);
  const fill = (rows, season) => {
    const total = rows.reduce((n, row) => n + places(row, season), 0);
    const booked = rows.reduce((n, row) => n + Number(row[`${season}_saturday_bookings`]), 0);
    return total ? booked / total : null;
  };

  function renderCapacity(settled) {
    $("capacity-figures").replaceChildren();
    $("capacity-busiest").textContent = "";
    $("capacity-holidays").textContent = "";
    if (settled.status === "rejected" || settled.value === null) {
      $("capacity-note").textContent = settled.status === "rejected"
        ? `Capacity unavailable: ${reason(settled)}` : "Capacity is not served by this API yet.";
      return;
    }
    const rows = settled.value.suppliers;
    if (rows.length === 0) {
      $("capacity-note").textContent = "No capacity figures yet.";
      return;
    }
    const first = rows[0];
    figure(`Last season (from ${month(first.last_season_start)})`, `${percent(fill(rows, "last_season"))} of Saturdays filled`);
    figure(`Next season (from ${month(first.next_season_start)})`, `${percent(fill(rows, "next_season"))} booked so far`);
    if (rows.length === 1) {
      figure("Saturdays still open", whole.format(first.next_season_open_saturdays));
      figure("Weddings per date", whole.format(first.weddings_per_date));
      const busiest = first.open_busiest_saturdays;
      $("capacity-busiest").textContent = first.busiest_saturdays.length
        ? `Busiest Saturdays in ${first.region} still open: ${busiest.length ? busiest.map(day).join(", ") : "none"}`
          + ` (${busiest.length} of the ${first.busiest_saturdays.length} most asked-for).`
        : `Not enough demand yet to rank next season's Saturdays in ${first.region}.`;
      const holidays = first.open_bank_holiday_saturdays;
      $("capacity-holidays").textContent = `Bank-holiday weekends still open: ${holidays.length ? holidays.map(day).join(", ") : "none"}.`;
      $("capacity-note").textContent = "Saturdays of the peak season (April–September); a date is open while it has room.";
    } else {
      figure("Suppliers", whole.format(rows.length));
      $("capacity-note").textContent = "All suppliers' peak-season Saturdays together (April–September).";
    }
  }

  document.addEventListener("wedsync:analytics-loaded", async (event) => {
    ensureCards();
    const { getJson } = event.detail;
    const [gaps, capacity] = await Promise.allSettled([
      getJson("/api/analytics/market-gaps"),
      getJson("/api/analytics/capacity"),
    ]);
    renderGaps(gaps);
    renderCapacity(capacity);
  });
})();
