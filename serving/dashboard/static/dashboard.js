// WedSync supplier dashboard: exchanges an API key for tokens, reads the analytics API, follows the live feed.
// The key itself is never stored: the tab keeps a 15-minute access token and a single-use refresh token.
// Plain script, no build step. Every value from the API is written with textContent, never as HTML.
"use strict";

(() => {
  const REFRESH_STORE = "wedsync.refreshToken";
  const RENEW_BEFORE_MS = 60_000;
  const REFRESH_MS = 60_000;
  const FEED_LIMIT = 50;
  const MAX_RETRY_MS = 30_000;
  // Event type -> [one, many], as the live feed writes them.
  const EVENT_LABELS = {
    profile_view: ["profile view", "profile views"],
    enquiry_created: ["enquiry", "enquiries"],
    quote_sent: ["quote", "quotes"],
    booking_confirmed: ["booking", "bookings"],
    booking_cancelled: ["cancellation", "cancellations"],
    payment_received: ["payment", "payments"],
    review_posted: ["review", "reviews"],
    rsvp_updated: ["RSVP update", "RSVP updates"],
  };
  const gbp = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
  const whole = new Intl.NumberFormat("en-GB");
  const monthName = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
  const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const $ = (id) => document.getElementById(id);
  const percent = (x) => `${(x * 100).toFixed(1)}%`;

  let session = null; // { token, socket, retryMs, charts, timer, liveDay, liveCounts }

  class ApiError extends Error {
    constructor(status, detail) {
      super(`${status}: ${detail}`);
      this.status = status;
      this.detail = detail;
    }
  }

  async function failure(response) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not JSON */ }
    return new ApiError(response.status, detail);
  }

  // POST /api/auth/token (with the key) or /api/auth/refresh: new tokens, the refresh token kept.
  async function exchange(path, init) {
    const response = await fetch(path, { method: "POST", ...init });
    if (!response.ok) throw await failure(response);
    const answer = await response.json();
    sessionStorage.setItem(REFRESH_STORE, answer.refresh_token);
    return { access: answer.access_token, refresh: answer.refresh_token, role: answer.role,
             expiresAt: Date.now() + answer.expires_in * 1000 };
  }

  const exchangeKey = (key) => exchange("/api/auth/token", { headers: { Authorization: `Bearer ${key}` } });
  const exchangeRefresh = (refresh) => exchange("/api/auth/refresh", {
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: refresh }),
  });

  // A valid access token, renewed with the refresh token shortly before it expires.
  async function accessToken() {
    if (Date.now() > session.token.expiresAt - RENEW_BEFORE_MS) {
      session.token = await exchangeRefresh(session.token.refresh);
    }
    return session.token.access;
  }

  // GET an API path as JSON; null when the endpoint (or the object) does not exist.
  async function getJson(path) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${await accessToken()}` } });
    if (response.status === 404) return null;
    if (!response.ok) throw await failure(response);
    return response.json();
  }

  const sum = (rows, field) => rows.reduce((total, row) => total + (Number(row[field]) || 0), 0);

  function setTile(id, value, note = "") {
    const tile = $(id);
    tile.hidden = false;
    tile.querySelector(".value").textContent = value;
    tile.querySelector(".note").textContent = note;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  // ---- key figures and charts, from GET /api/analytics/metrics ----

  // `totals` is the answer's vendor_performance_totals: the API sums the rows and gives the
  // conversion's 95% interval (wedsync.conversion), so the dashboard repeats no formula.
  function renderKpis(totals) {
    const span = totals.months ? `over ${totals.months} month${totals.months === 1 ? "" : "s"}` : "no enquiries yet";
    setTile("kpi-enquiries", whole.format(totals.enquiries), span);
    setTile("kpi-bookings", whole.format(totals.bookings), `${whole.format(totals.cancellations)} cancelled`);
    if (totals.conversion_rate !== null) {
      setTile("kpi-conversion", percent(totals.conversion_rate),
        `95% interval ${percent(totals.conversion_ci_low)}–${percent(totals.conversion_ci_high)}`);
    } else {
      setTile("kpi-conversion", "–", "no enquiries yet");
    }
    setTile("kpi-revenue", gbp.format(totals.revenue_gbp), "received");
  }

  function byMonth(rows, field) {
    const totals = new Map();
    for (const row of rows) totals.set(row.month, (totals.get(row.month) ?? 0) + (Number(row[field]) || 0));
    return totals;
  }

  function drawChart(name, config) {
    session.charts[name]?.destroy();
    if (typeof Chart === "undefined") return; // the vendored script failed to load: numbers still show
    if (matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;
    session.charts[name] = new Chart($(name), config);
  }

  // Both series count enquiries by the month they were made: the supplier's from
  // vendor_performance, the market's from seasonal_demand (seasonal_bookings counts by wedding
  // month, which on one axis with the supplier's own would compare different months).
  function renderSeason(performance, market) {
    const own = byMonth(performance, "enquiries");
    const marketEnquiries = byMonth(market, "enquiries");
    const months = [...new Set([...own.keys(), ...marketEnquiries.keys()])].sort();
    const markets = [...new Set(market.map((row) => `${row.vendor_type} in ${row.region}`))];
    $("season-note").textContent = months.length
      ? `Market: ${markets.slice(0, 3).join(", ")}${markets.length > 3 ? "…" : ""} (enquiries by the month they were made).`
      : "No seasonal data yet.";
    drawChart("season-chart", {
      data: {
        labels: months.map((month) => monthName.format(new Date(`${month}T00:00:00Z`))),
        datasets: [
          { type: "bar", label: "Your enquiries", data: months.map((m) => own.get(m) ?? 0),
            backgroundColor: "#b0486b", yAxisID: "own", order: 2 },
          { type: "line", label: "Market enquiries", data: months.map((m) => marketEnquiries.get(m) ?? null),
            borderColor: "#4a6fa5", backgroundColor: "#4a6fa5", tension: 0.3, yAxisID: "market",
            order: 1 }, // drawn over the bars
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: {
          own: { position: "left", beginAtZero: true, title: { display: true, text: "yours" } },
          market: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            title: { display: true, text: "market" } },
        },
      },
    });
  }

  function renderFunnel(performance, funnel) {
    const steps = funnel && funnel.length
      ? [["Profile views", sum(funnel, "profile_views")], ["Enquiries", sum(funnel, "enquiries")],
         ["Quotes", sum(funnel, "quotes")], ["Bookings", sum(funnel, "bookings")]]
      : [["Enquiries", sum(performance, "enquiries")], ["Bookings", sum(performance, "bookings")]];
    const rates = steps.slice(1).map(([label, n], i) => {
      const before = steps[i][1];
      return `${steps[i][0].toLowerCase()} → ${label.toLowerCase()}: ${before ? percent(n / before) : "–"}`;
    });
    $("funnel-note").textContent = rates.join(" · ");
    drawChart("funnel-chart", {
      type: "bar",
      data: {
        labels: steps.map(([label]) => label),
        datasets: [{ label: "Leads", data: steps.map(([, n]) => n), backgroundColor: "#d27b98" }],
      },
      options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } },
    });
  }

  // ---- optional sections: wedding-day alerts, pipeline value, data quality (platform) ----

  // `settled` is the Promise.allSettled result of GET /api/alerts/wedding-day.
  function renderAlerts(settled) {
    const list = $("alerts");
    list.replaceChildren();
    if (settled.status === "rejected" || settled.value === null) {
      $("alerts-note").textContent = settled.status === "rejected"
        ? `Alerts unavailable: ${settled.reason.detail ?? settled.reason.message}`
        : "Wedding-day alerts are not served by this API yet.";
      return;
    }
    const alerts = settled.value.alerts ?? [];
    $("alerts-note").textContent = alerts.length ? "" : "Nothing needs attention before your next weddings.";
    for (const alert of alerts) {
      const item = document.createElement("li");
      const days = Number(alert.days_left);
      if (days <= 1) item.className = "urgent";
      const when = days === 0 ? "today" : days === 1 ? "tomorrow" : `in ${days} days`;
      const parts = [`Wedding ${alert.wedding_date} (${when})`];
      if (Number(alert.outstanding_gbp) > 0) parts.push(`${gbp.format(alert.outstanding_gbp)} outstanding`);
      if (alert.missing_details) parts.push(`missing: ${alert.missing_details}`);
      item.textContent = parts.join(" · ");
      list.append(item);
    }
  }

  // Pipeline value comes with the wedding insights once the ML pipeline has scored open enquiries.
  function renderPipeline(insights) {
    const rows = insights?.pipeline_value;
    if (!Array.isArray(rows) || rows.length === 0) {
      $("kpi-pipeline").hidden = true;
      return;
    }
    // A supplier's own range of bookings; ranges of many suppliers do not add up, so the
    // platform view shows the expectation alone.
    const own = rows.length === 1 && rows[0].bookings_high != null ? rows[0] : null;
    const range = own ? ` · 90% range ${own.bookings_low}–${own.bookings_high} bookings` : "";
    setTile("kpi-pipeline", gbp.format(sum(rows, "expected_revenue_gbp")),
      `expected from ${whole.format(sum(rows, "open_enquiries"))} open enquiries${range}`);
  }

  function renderQuality(answer) {
    const body = $("quality-rules");
    body.replaceChildren();
    const rules = answer.rules ?? [];
    const failing = rules.filter((rule) => !rule.success).length;
    $("quality-note").textContent = rules.length
      ? `${rules.length - failing} of ${rules.length} rules passing.` : "No quality checks have run yet.";
    for (const rule of rules) {
      const row = body.insertRow();
      row.insertCell().textContent = rule.rule_id;
      row.insertCell().textContent = rule.table_name;
      const verdict = row.insertCell();
      verdict.textContent = rule.success ? "pass" : `fail (${rule.severity})`;
      verdict.className = rule.success ? "pass" : "fail";
      row.insertCell().textContent = whole.format(rule.unexpected_count ?? 0);
    }
  }

  async function loadAnalytics() {
    // Only platform roles may read data quality: a supplier's dashboard does not ask (it would be 403).
    const platform = session.token.role.startsWith("platform_");
    const [metrics, alerts, insights, quality] = await Promise.allSettled([
      getJson("/api/analytics/metrics"),
      getJson("/api/alerts/wedding-day"),
      getJson("/api/analytics/wedding-insights"),
      platform ? getJson("/api/quality") : Promise.resolve(null),
    ]);
    const refused = [metrics, alerts, insights, quality]
      .find((r) => r.status === "rejected" && r.reason.status === 401);
    if (refused) throw refused.reason;

    const insightsAnswer = insights.status === "fulfilled" ? insights.value : null;
    if (metrics.status === "fulfilled" && metrics.value) {
      const answer = metrics.value;
      $("account-name").textContent = answer.supplier_id ?? "WedSync platform (all suppliers)";
      const performance = answer.vendor_performance ?? [];
      renderKpis(answer.vendor_performance_totals);
      renderSeason(performance, insightsAnswer?.seasonal_demand ?? []);
      renderFunnel(performance, answer.lead_funnel);
      setStatus(`Figures from data version ${answer.dataset_version}, loaded ${clock.format(new Date())}.`);
    } else if (metrics.status === "rejected") {
      setStatus(`Figures unavailable: ${metrics.reason.detail ?? metrics.reason.message}`);
    }
    renderAlerts(alerts);
    renderPipeline(insightsAnswer);
    const qualityShown = quality.status === "fulfilled" && quality.value !== null;
    $("quality-card").hidden = !qualityShown;
    if (qualityShown) renderQuality(quality.value);
    // Panels kept in their own files (market_panels.js) load with the same authenticated reader.
    document.dispatchEvent(new CustomEvent("wedsync:analytics-loaded", { detail: { getJson } }));
  }

  // ---- the live feed: WebSocket /api/analytics/realtime ----

  function setLiveState(text, live) {
    const pill = $("live-state");
    pill.textContent = text;
    pill.classList.toggle("live", live);
  }

  function renderCounters() {
    const list = $("live-counters");
    list.replaceChildren();
    for (const [type, [, label]] of Object.entries(EVENT_LABELS)) {
      const n = session.liveCounts[type];
      if (!n) continue;
      const entry = document.createElement("div");
      const term = document.createElement("dt");
      term.textContent = label;
      const value = document.createElement("dd");
      value.textContent = whole.format(n);
      entry.append(term, value);
      list.append(entry);
    }
  }

  function describe(counts) {
    return Object.entries(counts)
      .map(([type, n]) => `${whole.format(n)} ${(EVENT_LABELS[type] ?? [type, type])[n === 1 ? 0 : 1]}`)
      .join(", ");
  }

  function onSnapshot(frame) {
    session.liveDay = frame.day;
    session.liveCounts = {};
    for (const counts of Object.values(frame.suppliers)) {
      for (const [type, n] of Object.entries(counts)) session.liveCounts[type] = (session.liveCounts[type] ?? 0) + n;
    }
    renderCounters();
  }

  function onDelta(frame) {
    for (const [day, counts] of Object.entries(frame.days)) {
      if (day === session.liveDay) {
        for (const [type, n] of Object.entries(counts)) session.liveCounts[type] = (session.liveCounts[type] ?? 0) + n;
      }
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.textContent = clock.format(new Date(frame.sent_at * 1000));
      item.append(time, `${frame.supplier_id}: ${describe(counts)}`);
      $("live-feed").prepend(item);
    }
    while ($("live-feed").children.length > FEED_LIMIT) $("live-feed").lastChild.remove();
    renderCounters();
  }

  // The feed was interrupted (Redis, or its cluster shard, failed over) and is back: say which
  // span the live counts may miss; the events themselves are in the warehouse.
  function onGap(frame) {
    const item = document.createElement("li");
    item.className = "gap";
    const time = document.createElement("time");
    time.textContent = clock.format(new Date(frame.until * 1000));
    const from = clock.format(new Date(frame.from * 1000));
    item.append(time, `Live feed interrupted from ${from}: events in between may be missing from today's live counts (reports are unaffected).`);
    $("live-feed").prepend(item);
    while ($("live-feed").children.length > FEED_LIMIT) $("live-feed").lastChild.remove();
  }

  async function connectLive() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // The token travels as a subprotocol, not in the URL, so it never reaches an access log.
    // The server closes the feed (1008) when the token expires; the reconnect takes a fresh one.
    let token;
    try { token = await accessToken(); } catch (error) { signOut(error.message); return; }
    if (!session) return;
    const socket = new WebSocket(`${scheme}://${location.host}/api/analytics/realtime`,
      ["wedsync.v1", `bearer.${token}`]);
    session.socket = socket;
    socket.addEventListener("open", () => { session.retryMs = 1000; setLiveState("live", true); });
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "snapshot") onSnapshot(frame);
      else if (frame.type === "delta") onDelta(frame);
      else if (frame.type === "heartbeat") setLiveState("live", true);
      else if (frame.type === "gap") onGap(frame);
    });
    socket.addEventListener("close", () => {
      if (session?.socket !== socket) return; // signed out, or replaced
      setLiveState("reconnecting…", false);
      setTimeout(() => { if (session?.socket === socket) connectLive(); }, session.retryMs);
      session.retryMs = Math.min(session.retryMs * 2, MAX_RETRY_MS);
    });
  }

  // ---- signing in and out ----

  // Sign in with the key (exchanged at once, then forgotten) or resume with a stored refresh token.
  async function signIn(exchangeTokens) {
    session = { token: null, socket: null, retryMs: 1000, charts: {}, timer: null, liveDay: null, liveCounts: {} };
    setStatus("Loading…");
    try {
      session.token = await exchangeTokens();
      await loadAnalytics();
    } catch (error) {
      signOut(error.status === 401 ? "That key was not accepted (unknown or revoked)." : error.message);
      return;
    }
    $("sign-in").hidden = true;
    $("dashboard").hidden = false;
    $("account").hidden = false;
    connectLive();
    session.timer = setInterval(() => loadAnalytics().catch((error) => setStatus(error.message)), REFRESH_MS);
  }

  function signOut(reason) {
    if (session) {
      clearInterval(session.timer);
      const socket = session.socket;
      Object.values(session.charts).forEach((chart) => chart.destroy());
      session = null;
      socket?.close();
    }
    sessionStorage.removeItem(REFRESH_STORE);
    $("dashboard").hidden = true;
    $("account").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-error").hidden = !reason;
    $("sign-in-error").textContent = reason ?? "";
  }

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    $("api-key").value = "";
    signIn(() => exchangeKey(key));
  });
  $("sign-out").addEventListener("click", () => signOut());
  const remembered = sessionStorage.getItem(REFRESH_STORE);
  if (remembered) signIn(() => exchangeRefresh(remembered));
})();
