// narrmon analyst UI: plain JS, no build step, no network beyond this API.
// Only highlight fragments are inserted as HTML: the API asks Elasticsearch for `encoder: html`,
// so everything in them except <mark> is escaped. Everything else goes in via textContent.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { cursor: null, narratives: [], seq: 0 };

function authHeaders() {
  const headers = {};
  const token = $("#token").value.trim();
  const reviewer = $("#reviewer").value.trim();
  if (token) headers["Authorization"] = "Bearer " + token;
  if (reviewer) headers["X-Reviewer"] = reviewer;
  return headers;
}

// A post's url comes from whoever wrote the post: only http(s) URLs may become links
// (never javascript:, data:, vbscript: or relative ones). Returns the normalised URL or null.
function httpUrlOrNull(value) {
  let url;
  try { url = new URL(String(value)); } catch { return null; }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const what = body.parameter ? `${body.parameter}: ${body.detail}` : (body.detail || response.statusText);
    throw new Error(`${response.status} ${what}`);
  }
  return body;
}

function setStatus(text, isError = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function filterParams() {
  const params = new URLSearchParams();
  const q = $("#q").value.trim();
  if (q) params.set("q", q);
  for (const [name, id] of [["narrative", "#f-narrative"], ["platform", "#f-platform"], ["stance", "#f-stance"],
    ["severity", "#f-severity"], ["review", "#f-review"], ["since", "#f-since"], ["min_score", "#f-min-score"]]) {
    const value = $(id).value;
    if (value) params.set(name, value);
  }
  return params;
}

function renderHit(hit) {
  const node = $("#hit-template").content.firstElementChild.cloneNode(true);
  const f = hit.fields;
  node.dataset.id = hit.id;
  node.dataset.testid = "hit";
  const sev = node.querySelector(".sev");
  sev.textContent = f["narrative.severity"] || "";
  sev.classList.add(f["narrative.severity"] || "none");
  node.querySelector(".narrative").textContent = f["narrative.title"] || f["narrative.id"];
  node.querySelector(".stance").textContent = f["stance"] || "stance ?";
  node.querySelector(".score").textContent = "score " + Number(f["scores.combined"]).toFixed(2);
  const reviewState = node.querySelector(".review-state");
  reviewState.textContent = f["review.state"] || "unreviewed";
  reviewState.classList.add(f["review.state"] || "unreviewed");
  reviewState.dataset.testid = "review-state";
  const text = node.querySelector(".text");
  const fragments = (hit.highlight && hit.highlight["post.text"]) || null;
  if (fragments) text.innerHTML = fragments.join(" … ");
  else text.textContent = f["post.text"] || "";
  const when = (f["post.created_at"] || "").replace("T", " ").slice(0, 16);
  node.querySelector(".byline").textContent =
    [f["post.platform"], f["post.author.handle"], when, f["domain"]].filter(Boolean).join(" · ");
  node.querySelector(".why").addEventListener("click", () => openDrawer(hit.id));
  for (const button of node.querySelectorAll("button.review")) {
    button.dataset.testid = "review-" + button.dataset.label;
    button.addEventListener("click", () => submitReview(hit.id, button.dataset.label, node));
  }
  return node;
}

async function search(append = false) {
  const params = filterParams();
  params.set("sort", $("#f-sort").value);
  params.set("size", "20");
  if (append && state.cursor) params.set("cursor", state.cursor);
  const exportParams = filterParams();
  exportParams.set("format", "csv");
  $("#export-link").href = "/api/export?" + exportParams;
  setStatus("Searching…");
  const seq = ++state.seq;  // a slower, older response must not overwrite a newer one
  try {
    const body = await api("/api/search?" + params);
    if (seq !== state.seq) return;
    if (!append) $("#results").replaceChildren();
    for (const hit of body.hits) $("#results").append(renderHit(hit));
    state.cursor = body.next;
    $("#more").hidden = !body.next;
    const shown = $("#results").children.length;
    const plural = body.total === 1 && body.total_relation !== "gte" ? "hit" : "hits";
    setStatus(`${body.total}${body.total_relation === "gte" ? "+" : ""} ${plural}, ${shown} shown`);
  } catch (error) {
    if (seq === state.seq) setStatus("Search failed: " + error.message, true);
  }
}

function sparkline(trend) {
  const width = 280, height = 36, pad = 2;
  const max = Math.max(1, ...trend.map((d) => d.count));
  const step = trend.length > 1 ? (width - 2 * pad) / (trend.length - 1) : 0;
  const points = trend.map((d, i) => `${(pad + i * step).toFixed(1)},${(height - pad - (d.count / max) * (height - 2 * pad)).toFixed(1)}`);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const first = trend[0] ? trend[0].day : "", last = trend.length ? trend[trend.length - 1].day : "";
  svg.setAttribute("aria-label", `hits per day ${first} to ${last}: ${trend.map((d) => d.count).join(", ")}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#0b62c4");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  for (const [i, d] of trend.entries()) {
    const title = document.createElementNS(ns, "title");
    const dot = document.createElementNS(ns, "circle");
    const [x, y] = points[i].split(",");
    dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("r", d.count ? 2.5 : 1);
    title.textContent = `${d.day}: ${d.count}`;
    dot.append(title);
    svg.append(dot);
  }
  return svg;
}

async function loadNarratives() {
  try {
    const body = await api("/api/narratives?days=14");
    state.narratives = body.narratives;
    const list = $("#narratives");
    list.replaceChildren();
    const select = $("#f-narrative");
    for (const n of body.narratives) {
      const item = document.createElement("li");
      item.dataset.id = n.id;
      item.dataset.testid = "narrative";
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = n.count;
      const title = document.createElement("strong");
      title.textContent = n.title || n.id;
      const sev = document.createElement("span");
      sev.className = "sev " + (n.severity || "");
      sev.textContent = n.severity || "";
      item.append(count, title, " ", sev, sparkline(n.trend));
      if (n.count && !n.trend.some((d) => d.count)) {
        const quiet = document.createElement("p");
        quiet.className = "quiet";
        quiet.textContent = `none in the last 14 days (last seen ${(n.last_seen || "?").slice(0, 10)})`;
        item.append(quiet);
      }
      item.addEventListener("click", () => { select.value = n.id; search(); markActive(); });
      list.append(item);
      const option = document.createElement("option");
      option.value = n.id;
      option.textContent = `${n.title || n.id} (${n.count})`;
      select.append(option);
    }
  } catch (error) {
    setStatus("Narratives failed: " + error.message, true);
  }
}

function markActive() {
  for (const li of $("#narratives").children) li.classList.toggle("active", li.dataset.id === $("#f-narrative").value);
}

async function loadPlatforms() {
  try {
    const body = await api("/api/aggregations?top=20");
    const select = $("#f-platform");
    for (const b of body.platforms) {
      const option = document.createElement("option");
      option.value = b.key;
      option.textContent = `${b.key} (${b.count})`;
      select.append(option);
    }
  } catch (error) { /* search shows the error */ }
}

function row(dl, label, value) {
  const dt = document.createElement("dt"); dt.textContent = label;
  const dd = document.createElement("dd");
  if (value instanceof Node) dd.append(value); else dd.textContent = value ?? "–";
  dl.append(dt, dd);
}

function scoreBar(score, threshold) {
  const bar = document.createElement("div");
  bar.className = "bar";
  bar.title = `score ${score.toFixed(3)}, threshold ${threshold}`;
  const fill = document.createElement("span");
  fill.style.width = Math.min(100, score * 100) + "%";
  const mark = document.createElement("i");
  mark.style.left = Math.min(100, threshold * 100) + "%";
  bar.append(fill, mark);
  return bar;
}

function closeDrawer() {
  $("#drawer").hidden = true;
  document.body.classList.remove("drawer-open");
}

async function openDrawer(id) {
  const drawer = $("#drawer");
  drawer.hidden = false;
  document.body.classList.add("drawer-open");
  drawer.dataset.id = id;
  $("#drawer-body").textContent = "Loading…";
  try {
    const body = await api("/api/hits/" + encodeURIComponent(id));
    const hit = body.hit, ex = hit.explanation || {};
    const dl = document.createElement("dl");
    row(dl, "Narrative", `${hit.narrative.title} (${hit.narrative.id})`);
    row(dl, "Verdict", `${hit.narrative.verdict}, severity ${hit.narrative.severity}`);
    row(dl, "Summary", ex.summary);
    row(dl, "Closest exemplar", ex.best_exemplar);
    row(dl, "Combined score", scoreBar(ex.fused_score ?? 0, ex.threshold ?? 0));
    row(dl, "Scores", `combined ${Number(ex.fused_score).toFixed(3)} ≥ threshold ${ex.threshold} · dense ${Number(ex.dense_score).toFixed(3)} · lexical ${Number(ex.lexical_score).toFixed(3)}`);
    row(dl, "Stance", `${hit.stance || "unknown"}${ex.stance_evidence ? " — " + ex.stance_evidence : ""}`);
    row(dl, "Keywords", (ex.keywords_matched || []).join(", ") || "–");
    row(dl, "Model / catalog", `${ex.model_id} / ${ex.catalog_version}`);
    row(dl, "Post", hit.post.text);
    if (hit.post.url) {
      const href = httpUrlOrNull(hit.post.url);
      let link = hit.post.url; // any other scheme is shown as text, never linked
      if (href) {
        link = document.createElement("a");
        link.href = href; link.textContent = hit.post.url; link.rel = "noopener noreferrer"; link.target = "_blank";
      }
      row(dl, "Link", link);
    }
    row(dl, "Review", `${body.review.state}${body.review.reviewer ? " by " + body.review.reviewer : ""}`);
    $("#drawer-body").replaceChildren(dl);
    renderHistory(body.history);
  } catch (error) {
    $("#drawer-body").textContent = "Could not load the hit: " + error.message;
  }
}

function renderHistory(history) {
  const list = $("#history");
  list.replaceChildren();
  if (!history.length) {
    const li = document.createElement("li"); li.textContent = "Not reviewed yet."; list.append(li);
  }
  for (const entry of history) {
    const li = document.createElement("li");
    li.dataset.testid = "audit-entry";
    li.textContent = `${entry.at.replace("T", " ").slice(0, 19)} · ${entry.reviewer}: ${entry.before.state} → ${entry.after.state}` +
      (entry.note ? ` (“${entry.note}”)` : "");
    list.append(li);
  }
}

async function submitReview(id, label, node) {
  const note = label === "confirmed" ? null : (window.prompt("Note for the audit trail (optional):") || null);
  try {
    const body = await api("/api/hits/" + encodeURIComponent(id) + "/review", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ label, note }),
    });
    const stateEl = node.querySelector(".review-state");
    stateEl.className = "review-state " + body.review.state;
    stateEl.textContent = body.review.state;
    setStatus(`Reviewed ${id}: ${body.previous.state} → ${body.review.state}`);
    if (!$("#drawer").hidden && $("#drawer").dataset.id === id) openDrawer(id);
  } catch (error) {
    setStatus("Review failed: " + error.message, true);
  }
}

function trackTopbarHeight() {
  // The drawer starts below the sticky header and filter bar, whose height changes when the
  // filters wrap (narrow windows).
  const topbar = $("#topbar");
  const update = () => document.documentElement.style.setProperty("--top", topbar.offsetHeight + "px");
  new ResizeObserver(update).observe(topbar);
  update();
}

function init() {
  trackTopbarHeight();
  $("#token").value = sessionStorage.getItem("narrmon-token") || "";
  $("#reviewer").value = localStorage.getItem("narrmon-reviewer") || "";
  $("#token").addEventListener("change", () => sessionStorage.setItem("narrmon-token", $("#token").value));
  $("#reviewer").addEventListener("change", () => localStorage.setItem("narrmon-reviewer", $("#reviewer").value));
  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  for (const select of document.querySelectorAll("#filters select, #filters input")) {
    select.addEventListener("change", () => { search(); markActive(); });
  }
  $("#more").addEventListener("click", () => search(true));
  $("#drawer-close").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDrawer(); });
  loadNarratives();
  loadPlatforms();
  search();
}

init();
