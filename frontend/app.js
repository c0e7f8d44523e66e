// stock-movers page: reads the REST API named in config.js (window.MOVERS_CONFIG.apiUrl) and shows the
// last 7 winners (sortable), beside them one day's top gainers and losers (the newest day first, any shown
// day on request; the watchlist's board or, on request, the whole market's), a 30-session chart, the latest daily analysis (unusual moves flagged), and one ticker's
// history on demand. No framework.
"use strict";

(function () {
  const config = window.MOVERS_CONFIG || {};
  const apiUrl = String(config.apiUrl || "/v1").replace(/\/+$/, "");
  const TIMEOUT_MS = 10000;

  const $ = (id) => document.getElementById(id);
  const state = { movers: [], sortKey: "Date", sortDir: "descending", trendChart: null, historyChart: null, analysis: null, leaders: null, leadersScope: "watchlist" };

  // window.moversPage lets tests and curious users inspect what was drawn.
  window.moversPage = state;

  class ApiError extends Error {}

  async function getJson(path) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(apiUrl + path, { signal: controller.signal, headers: { Accept: "application/json" } });
    } catch (err) {
      throw new ApiError("The API is unreachable (" + apiUrl + "). Check your connection and try again.");
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      let detail = "";
      try {
        const body = await response.json();
        detail = body && body.message ? ": " + body.message : "";
      } catch (_) { /* not JSON: the status says enough */ }
      throw new ApiError("The API answered HTTP " + response.status + detail + ".");
    }
    return response.json();
  }

  const pctFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "always" });
  const priceFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const volumeFormat = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  const clock = (timeZone) => new Intl.DateTimeFormat("en-US", {
    timeZone, hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  });
  const NEW_YORK = "America/New_York";
  const clockET = clock(NEW_YORK);
  // The viewer's own zone as the browser resolves it (undefined in a browser that cannot tell: its local time).
  const viewerZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  const clockLocal = clock(viewerZone);
  const dayFormat = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" });
  const weekdayFormat = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", weekday: "short" });
  const monthDayFormat = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", month: "short", day: "numeric" });

  const signClass = (value) => (value > 0 ? "gain" : value < 0 ? "loss" : "flat");
  const formatPct = (value) => pctFormat.format(value) + "%";
  const formatDay = (iso) => dayFormat.format(new Date(iso + "T00:00:00Z"));

  function show(id, visible) { $(id).hidden = !visible; }

  function setStatus(text) { $("status").textContent = text; }

  function showError(message) {
    $("error-message").textContent = message;
    show("error", true);
    ["movers", "leaders", "trend", "empty"].forEach((id) => show(id, false));
  }

  function timeElement(id, when, text) {
    const el = document.createElement("time");
    el.id = id;
    el.dateTime = when.toISOString();
    el.textContent = text;
    return el;
  }

  // New York's time (the market's) beside the viewer's own; once when the viewer's clock reads the same.
  function markRefreshed(when) {
    const ny = clockET.format(when);
    const local = clockLocal.format(when);
    // "Europe/Berlin" reads "(Berlin)"; "UTC" or "Etc/GMT-2" already say all in the time's own zone name.
    const city = /^(?!Etc\/)[A-Za-z]+\//.test(viewerZone || "") ? viewerZone.split("/").pop().replace(/_/g, " ") : "";
    const place = city ? " (" + city + ")" : "";
    const parts = ["Last refreshed "];
    if (viewerZone === NEW_YORK || local === ny) {
      parts.push(timeElement("refreshed-ny", when, ny), " New York, your time");
    } else {
      parts.push(timeElement("refreshed-ny", when, ny), " New York · ",
        timeElement("refreshed-local", when, local), " your time" + place);
    }
    $("last-refreshed").replaceChildren(...parts);
    $("last-refreshed").dataset.zone = viewerZone || "";
  }

  // A table wider than its card scrolls sideways; then a hint shows and the cut edge fades (the cue), and the
  // scroll box takes keyboard focus so it can be scrolled without a pointer.
  function watchOverflow(wrap) {
    const hint = $(wrap.dataset.hint);
    const update = () => {
      const over = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("overflowing", over);
      wrap.classList.toggle("more-left", over && wrap.scrollLeft > 1);
      wrap.classList.toggle("more-right", over && wrap.scrollLeft + wrap.clientWidth < wrap.scrollWidth - 1);
      if (hint) hint.hidden = !over;
      if (over) {
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", "Table, scrolls sideways");
      } else {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    };
    wrap.addEventListener("scroll", update, { passive: true });
    if (typeof window.ResizeObserver === "function") {
      const observer = new ResizeObserver(update);
      observer.observe(wrap);
      for (const table of wrap.querySelectorAll("table")) observer.observe(table);
    } else {
      window.addEventListener("resize", update);
    }
    update();
  }

  // ------------------------------------------------------------------ movers table

  function sortedMovers() {
    const dir = state.sortDir === "ascending" ? 1 : -1;
    const key = state.sortKey;
    return state.movers.slice().sort((a, b) => {
      const x = a[key], y = b[key];
      const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return cmp * dir || String(b.Date).localeCompare(String(a.Date));
    });
  }

  // The API's default answer is the latest stored sessions (up to 7, newest first), not a calendar week.
  function renderLegend() {
    const n = state.movers.length;
    $("movers-heading").textContent = n === 1 ? "Latest stored trading day" : "Latest " + n + " stored trading days";
    $("biggest-key").textContent = n === 1 ? "biggest move" : "biggest move of these " + n + " trading days";
  }

  function renderTable() {
    renderLegend();
    const tbody = $("movers-table").querySelector("tbody");
    tbody.replaceChildren();
    const maxAbs = Math.max(...state.movers.map((m) => Math.abs(m.PercentChange)));
    for (const mover of sortedMovers()) {
      const row = document.createElement("tr");
      row.dataset.date = mover.Date;
      const biggest = Math.abs(mover.PercentChange) === maxAbs;
      if (biggest) row.classList.add("biggest");

      // "Fri, Jan 16"; on a phone the weekday stacks above the date (styles.css).
      const date = document.createElement("td");
      const day = new Date(mover.Date + "T00:00:00Z");
      const weekday = document.createElement("span");
      weekday.className = "weekday";
      weekday.textContent = weekdayFormat.format(day);
      const comma = document.createElement("span");
      comma.className = "weekday-sep";
      comma.textContent = ", ";
      date.append(weekday, comma, monthDayFormat.format(day));
      date.title = mover.Date;

      const ticker = document.createElement("td");
      const link = document.createElement("button");
      link.type = "button";
      link.className = "ticker";
      link.textContent = mover.Ticker;
      link.setAttribute("aria-label", "Show history of " + mover.Ticker);
      link.addEventListener("click", () => loadHistory(mover.Ticker));
      ticker.append(link);
      if (biggest) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "biggest";
        ticker.append(" ", badge);
      }

      const change = document.createElement("td");
      change.className = "num change " + signClass(mover.PercentChange);
      change.textContent = (mover.PercentChange > 0 ? "▲ " : mover.PercentChange < 0 ? "▼ " : "") + formatPct(mover.PercentChange);
      change.title = mover.PercentChange + "%";

      const close = document.createElement("td");
      close.className = "num";
      close.textContent = "$" + priceFormat.format(mover.ClosingPrice);

      row.append(date, ticker, change, close);
      tbody.append(row);
    }
    for (const th of $("movers-table").querySelectorAll("th[data-key]")) {
      th.setAttribute("aria-sort", th.dataset.key === state.sortKey ? state.sortDir : "none");
    }
  }

  function onSort(key) {
    if (state.sortKey === key) {
      state.sortDir = state.sortDir === "ascending" ? "descending" : "ascending";
    } else {
      state.sortKey = key;
      // Dates and changes read best biggest/newest first; names and prices A→Z / low→high.
      state.sortDir = key === "Date" || key === "PercentChange" ? "descending" : "ascending";
    }
    renderTable();
  }

  // ------------------------------------------------------------------ charts

  function chartAvailable() { return typeof window.Chart === "function"; }

  function renderTrend(items) {
    const points = items.slice().reverse(); // oldest → newest, left → right
    if (!chartAvailable()) { return; }
    const data = {
      labels: points.map((m) => m.Date.slice(5)),
      datasets: [{
        label: "Winner's % change",
        data: points.map((m) => m.PercentChange),
        backgroundColor: points.map((m) => (m.PercentChange >= 0 ? "#12784a" : "#b42318")),
        tickers: points.map((m) => m.Ticker),
      }],
    };
    if (state.trendChart) state.trendChart.destroy();
    state.trendChart = new window.Chart($("trend-chart"), {
      type: "bar",
      data,
      options: {
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (ctx) => points[ctx[0].dataIndex].Date + " · " + points[ctx[0].dataIndex].Ticker,
              label: (ctx) => formatPct(ctx.parsed.y),
            },
          },
        },
        scales: { y: { title: { display: true, text: "% change (close vs open)" } } },
      },
    });
  }

  function renderHistoryChart(items) {
    if (!chartAvailable()) { return; }
    const points = items.slice().reverse();
    if (state.historyChart) state.historyChart.destroy();
    state.historyChart = new window.Chart($("history-chart"), {
      type: "line",
      data: {
        labels: points.map((d) => d.Date.slice(5)),
        datasets: [{ label: "Close", data: points.map((d) => d.Close), borderColor: "#2457c5", pointRadius: 2, tension: 0.2 }],
      },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } },
    });
  }

  // ------------------------------------------------------------------ per-ticker history

  // Which price basis the history's prices are in (the API's Basis / AdjustmentFactor per day).
  function basisNote(days) {
    if (!days.length) return "";
    const count = (basis) => days.filter((d) => (d.Basis || "unknown") === basis).length;
    const rescaled = days.filter((d) => d.AdjustmentFactor !== undefined && d.AdjustmentFactor !== 1).length;
    const parts = [];
    if (count("adjusted")) parts.push(count("adjusted") + " split-adjusted");
    if (count("unadjusted")) parts.push(count("unadjusted") + " as traded (unadjusted)");
    if (count("unknown")) parts.push(count("unknown") + " of unrecorded basis");
    let note = "Prices: " + parts.join(", ") + ".";
    if (rescaled) note += " " + rescaled + " day(s) fetched before a split are shown adjusted for it; % change is open to close of the same day, the same in every basis.";
    return note;
  }

  async function loadHistory(ticker) {
    show("history", true);
    $("history-heading").textContent = "History: " + ticker;
    $("history-caption").textContent = ticker + ": daily bars, newest first";
    $("history-status").textContent = "Loading " + ticker + "…";
    const tbody = $("history-table").querySelector("tbody");
    tbody.replaceChildren();
    try {
      const days = await getJson("/tickers/" + encodeURIComponent(ticker) + "/history?days=30");
      $("history-status").textContent = days.length ? days.length + " trading days" : "No stored days for " + ticker;
      $("history-basis").textContent = basisNote(days);
      for (const day of days) {
        const row = document.createElement("tr");
        row.dataset.basis = day.Basis || "unknown";
        if (day.AdjustmentFactor !== undefined && day.AdjustmentFactor !== 1) {
          row.classList.add("split-adjusted");
          row.title = "Fetched before a split: stored prices × " + day.AdjustmentFactor + " (split-adjusted)";
        }
        const cells = [
          [formatDay(day.Date), ""],
          ["$" + priceFormat.format(day.Open), "num"],
          ["$" + priceFormat.format(day.Close), "num"],
          [formatPct(day.PercentChange), "num " + signClass(day.PercentChange)],
          [volumeFormat.format(day.Volume), "num"],
        ];
        for (const [text, cls] of cells) {
          const td = document.createElement("td");
          td.textContent = text;
          if (cls) td.className = cls;
          row.append(td);
        }
        tbody.append(row);
      }
      renderHistoryChart(days);
      $("history").scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (err) {
      $("history-status").textContent = err.message;
    }
  }

  // ------------------------------------------------------------------ the day's gainers and losers

  const LEADERS_N = 10;
  const SCOPE_NAMES = { watchlist: "watchlist", market: "whole market" };
  let leadersRequest = 0;

  function leaderItem(entry, winner) {
    const li = document.createElement("li");
    li.dataset.ticker = entry.Ticker;
    const link = document.createElement("button");
    link.type = "button";
    link.className = "ticker";
    link.textContent = entry.Ticker;
    link.setAttribute("aria-label", "Show history of " + entry.Ticker);
    link.addEventListener("click", () => loadHistory(entry.Ticker));
    const change = document.createElement("span");
    change.className = "change " + signClass(entry.PercentChange);
    change.textContent = formatPct(entry.PercentChange);
    change.title = entry.PercentChange + "%";
    const close = document.createElement("span");
    close.className = "close";
    close.textContent = "close $" + priceFormat.format(entry.ClosingPrice);
    if (winner && winner.Ticker === entry.Ticker) {
      li.classList.add("winner");
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "winner";
      close.append(" ", badge);
    }
    li.append(link, change, close);
    return li;
  }

  function renderLeaderList(id, entries, winner, none) {
    const list = $(id);
    if (!entries.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = none;
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...entries.map((entry) => leaderItem(entry, winner)));
  }

  function leadersHeading(scope, date) {
    $("leaders-heading").textContent = "Top gainers and losers · " + SCOPE_NAMES[scope] + " · " + formatDay(date);
    $("leaders-heading").title = date;
  }

  function renderLeaders(board, scope) {
    state.leaders = board;
    // The winner mark is the watchlist's stored winner; a market board's JSON names no winner, so none is marked.
    const winner = scope === "watchlist" ? state.movers.find((m) => m.Date === board.Date) : null;
    leadersHeading(scope, board.Date);
    renderLeaderList("leaders-gainers", board.Gainers, winner, "No ticker rose.");
    renderLeaderList("leaders-losers", board.Losers, winner, "No ticker fell.");
    $("leaders-status").textContent = "";
    show("leaders-lists", true);
  }

  function fillLeaderDays(selected) {
    const select = $("leaders-day");
    select.replaceChildren(...state.movers.map((m) => {
      const option = document.createElement("option");
      option.value = m.Date;
      option.textContent = formatDay(m.Date);
      return option;
    }));
    select.value = selected;
  }

  // The 404 of a day with no board of the chosen scope: the watchlist's (stored before boards existed) or
  // the whole market's (no market run for that day: the command that stores one).
  function noBoardMessage(scope, date) {
    if (scope !== "market") return ["No gainers and losers stored for " + formatDay(date) + "."];
    const command = document.createElement("code");
    command.textContent = "movers run --scope market --date " + date;
    return ["No whole-market day stored for " + formatDay(date) + ": run ", command, "."];
  }

  function renderScopeSwitch() {
    for (const button of $("leaders-scope").querySelectorAll("button[data-scope]")) {
      button.setAttribute("aria-pressed", String(button.dataset.scope === state.leadersScope));
    }
  }

  async function loadLeaders(date) {
    // Independent of the movers table: a day without a board of the chosen scope or a failing call says so
    // in this card only (the scope switch and the day stay usable). Only the newest request draws.
    const request = ++leadersRequest;
    const scope = state.leadersScope;
    show("leaders", true);
    $("leaders-day").value = date;
    $("leaders-status").textContent = "Loading the " + SCOPE_NAMES[scope] + "'s gainers and losers of " + formatDay(date) + "…";
    const query = "?n=" + LEADERS_N + (scope === "watchlist" ? "" : "&scope=" + encodeURIComponent(scope));
    try {
      const board = await getJson("/movers/" + encodeURIComponent(date) + "/leaders" + query);
      if (request === leadersRequest) renderLeaders(board, scope);
    } catch (err) {
      if (request !== leadersRequest) return;
      state.leaders = null;
      leadersHeading(scope, date);
      show("leaders-lists", false);
      if (/HTTP 404/.test(err.message)) {
        $("leaders-status").replaceChildren(...noBoardMessage(scope, date));
      } else {
        $("leaders-status").textContent = err.message;
      }
    }
  }

  function chooseScope(scope) {
    if (!SCOPE_NAMES[scope] || scope === state.leadersScope) return;
    state.leadersScope = scope;
    renderScopeSwitch();
    if ($("leaders-day").value) loadLeaders($("leaders-day").value);
  }

  // ------------------------------------------------------------------ daily analysis

  const fixed2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const zFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "always" });
  const orDash = (value, format) => (typeof value === "number" ? format(value) : "—");

  function renderAnalysis(summary) {
    // Only the daily-analysis machine's summary shape is drawn (docs/analysis.md); anything else hides the panel.
    if (!summary || !Array.isArray(summary.Tickers)) { show("analysis", false); return; }
    state.analysis = summary;
    $("analysis-heading").textContent = "Daily analysis · " + formatDay(summary.Date);
    $("analysis-heading").title = summary.Date;
    if (summary.Status === "Partial") {
      const badge = document.createElement("span");
      badge.className = "badge partial-badge";
      badge.textContent = "partial";
      $("analysis-heading").append(" ", badge);
    }
    const d = summary.Dispersion || {};
    const unusual = summary.Unusual || [];
    const parts = [
      "Dispersion of the day's moves: std dev " + orDash(d.StdDev, (v) => fixed2.format(v)) +
        " pts, range " + orDash(d.Range, (v) => fixed2.format(v)) + " pts across " + (d.Tickers || 0) + " tickers.",
      unusual.length
        ? "Unusual (|z| > " + summary.UnusualThreshold + "): " + unusual.join(", ") + "."
        : "No unusual move (|z| > " + summary.UnusualThreshold + ").",
    ];
    $("analysis-summary").textContent = parts.join(" ");

    const tbody = $("analysis-table").querySelector("tbody");
    tbody.replaceChildren();
    for (const r of summary.Tickers) {
      const row = document.createElement("tr");
      row.dataset.ticker = r.Ticker;
      if (r.Unusual === true) row.classList.add("unusual");
      const ticker = document.createElement("td");
      ticker.textContent = r.Ticker;
      if (r.Unusual === true) {
        const badge = document.createElement("span");
        badge.className = "badge unusual-badge";
        badge.textContent = "unusual";
        ticker.append(" ", badge);
      }
      const cells = [
        [orDash(r.PercentChange, formatPct), "num " + (typeof r.PercentChange === "number" ? signClass(r.PercentChange) : "")],
        [orDash(r.ZScore, (v) => zFormat.format(v)), "num"],
        [orDash(r.Volatility, (v) => fixed2.format(v) + "%"), "num"],
        [[r.Wins7, r.Wins30, r.Wins90].map((n) => (typeof n === "number" ? n : "—")).join(" / "), "num"],
        [r.Streak ? String(r.Streak) : "—", "num"],
      ];
      row.append(ticker);
      for (const [text, cls] of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        td.className = cls.trim();
        row.append(td);
      }
      tbody.append(row);
    }

    const reasons = summary.Reasons || [];
    $("analysis-reasons").replaceChildren(...reasons.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    show("analysis-partial", reasons.length > 0);
    show("analysis", true);
  }

  async function loadAnalysis() {
    // Independent of the movers: no analysis yet (404) or a failing call only hides this panel.
    try {
      renderAnalysis(await getJson("/analysis/latest"));
    } catch (_) {
      state.analysis = null;
      show("analysis", false);
    }
  }

  // ------------------------------------------------------------------ load

  async function load() {
    setStatus("Loading…");
    show("error", false);
    loadAnalysis();
    try {
      const [latest, month] = await Promise.all([getJson("/movers?limit=7"), getJson("/movers?limit=30")]);
      markRefreshed(new Date());
      setStatus("");
      state.movers = latest;
      if (!latest.length) {
        show("empty", true);
        show("movers", false);
        show("leaders", false);
        show("trend", false);
        return;
      }
      show("empty", false);
      show("movers", true);
      show("trend", true);
      renderTable();
      renderTrend(month);
      fillLeaderDays(latest[0].Date);
      loadLeaders(latest[0].Date);
    } catch (err) {
      setStatus("");
      showError(err instanceof ApiError ? err.message : "Something went wrong: " + err.message);
    }
  }

  function init() {
    $("api-url").textContent = apiUrl;
    $("data-note").textContent = config.dataNote || "";
    for (const th of $("movers-table").querySelectorAll("th[data-key]")) {
      th.querySelector("button").addEventListener("click", () => onSort(th.dataset.key));
    }
    $("retry-button").addEventListener("click", load);
    $("refresh-button").addEventListener("click", load);
    $("history-close").addEventListener("click", () => show("history", false));
    $("leaders-day").addEventListener("change", (event) => loadLeaders(event.target.value));
    for (const button of $("leaders-scope").querySelectorAll("button[data-scope]")) {
      button.addEventListener("click", () => chooseScope(button.dataset.scope));
    }
    for (const wrap of document.querySelectorAll(".table-wrap[data-hint]")) watchOverflow(wrap);
    load();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
