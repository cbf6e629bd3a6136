// narrmon analyst UI: plain JS modules, no build step, no network beyond this API.
// The view (filters, sort, open explanation) is in the URL; results are one card per post.

import { $, api, download, el, setStatus, token } from "./api.js";
import { addHit, setReviewState, updateReviewButtons } from "./cards.js";
import { closeDrawer, explain, openHit, similar } from "./drawer.js";
import { loadNarratives, markActive } from "./narratives.js";
import { loadSpikes } from "./spikes.js";
import { filterParams, loadView, saveView } from "./url_state.js";

const PAGE = 20;
const POLL_MS = 20000;
const state = { cursor: null, seq: 0, total: null, hits: 0 };

const actions = {
  explain: (id) => { explain(id); saveView(id); },
  escalate: (id) => { explain(id, true); saveView(id); },
  similar: (text, postId) => { similar(text, postId); saveView(null); },
  review: submitReview,
  filterAuthor: (handle) => { $("#f-author").value = handle; changed(); },
};

// Every hit of the shown posts, including narratives outside the filters: one card, all narratives.
async function addCompanions(postIds, seq) {
  if (!postIds.length) return;
  const params = new URLSearchParams({ sort: "score", size: "100" });
  for (const id of postIds) params.append("post", id);
  try {
    const body = await api("/api/search?" + params);
    if (seq !== state.seq) return;
    for (const hit of body.hits) addHit($("#results"), hit, false, actions);
  } catch (error) { /* the filtered hits are shown; the extra rows are a nicety */ }
}

async function search(append = false) {
  const params = filterParams();
  params.set("sort", $("#f-sort").value);
  params.set("size", String(PAGE));
  if (append && state.cursor) params.set("cursor", state.cursor);
  const exportParams = filterParams();
  exportParams.set("format", "csv");
  $("#export-link").href = "/api/export?" + exportParams;
  setStatus("Searching…");
  const seq = ++state.seq;  // a slower, older response must not overwrite a newer one
  try {
    const body = await api("/api/search?" + params);
    if (seq !== state.seq) return;
    if (!append) {
      $("#results").replaceChildren();
      state.hits = 0;
      state.total = body.total;
      $("#new-hits").hidden = true;
    }
    const posts = [];
    for (const hit of body.hits) {
      addHit($("#results"), hit, true, actions);
      posts.push(hit.fields["post.id"]);
    }
    state.hits += body.hits.length;
    state.cursor = body.next;
    $("#more").hidden = !body.next;
    showCount(body);
    await addCompanions([...new Set(posts.filter(Boolean))].slice(0, 50), seq);
  } catch (error) {
    if (seq === state.seq) setStatus("Search failed: " + error.message, true);
  }
}

function showCount(body) {
  const cards = $("#results").children.length;
  const plural = body.total === 1 && body.total_relation !== "gte" ? "hit" : "hits";
  const inPosts = cards !== state.hits ? ` in ${cards} posts` : "";
  setStatus(`${body.total}${body.total_relation === "gte" ? "+" : ""} ${plural}, ${state.hits} shown${inPosts}`);
}

// "N new hits": the same filters now count more hits than when the results were loaded.
async function checkNewHits() {
  if (state.total === null || document.hidden) return;
  const params = filterParams();
  params.set("size", "1");
  try {
    const body = await api("/api/search?" + params);
    const fresh = body.total - state.total;
    const button = $("#new-hits");
    button.hidden = fresh <= 0;
    button.textContent = `${fresh} new ${fresh === 1 ? "hit" : "hits"} · Refresh`;
  } catch (error) { /* the next check will tell */ }
}

async function submitReview(id, label, row) {
  const note = label === "confirmed" ? null : (window.prompt("Note for the audit trail (optional):") || null);
  try {
    const body = await api("/api/hits/" + encodeURIComponent(id) + "/review", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ label, note }),
    });
    setReviewState(row, body.review.state);
    setStatus(`Reviewed ${id}: ${body.previous.state} → ${body.review.state}`);
    if (openHit() === id) explain(id);
  } catch (error) {
    setStatus("Review failed: " + error.message, true);
  }
}

async function loadFacets() {
  try {
    const body = await api("/api/aggregations?top=50");
    const select = $("#f-platform");
    for (const b of body.platforms) {
      const existing = [...select.options].find((o) => o.value === b.key);
      if (existing) existing.remove();
      select.append(el("option", { value: b.key, textContent: `${b.key} (${b.count})` }));
    }
    select.value = new URLSearchParams(location.search).get("platform") || "";
    $("#authors").replaceChildren(...body.authors.map((b) => el("option", { value: b.key, label: `${b.count} hits` })));
  } catch (error) { /* search shows the error */ }
}

function changed() {
  saveView(openHit());
  markActive();
  $("#clear-post").hidden = !$("#f-post").value;
  search();
}

// A spike's "show hits": only its narrative and example posts.
function showSpikeHits(filter) {
  for (const control of document.querySelectorAll("#filters [data-param]")) if (control.dataset.param !== "sort") control.value = "";
  $("#q").value = "";
  $("#f-narrative").value = filter.narrative;
  $("#f-post").value = filter.post.join(",");
  changed();
}

function restore() {
  const hit = loadView();
  markActive();
  $("#clear-post").hidden = !$("#f-post").value;
  search();
  if (hit) explain(hit); else closeDrawer();
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
  $("#token").addEventListener("input", () => { sessionStorage.setItem("narrmon-token", $("#token").value); updateReviewButtons(); });
  $("#reviewer").addEventListener("input", () => { localStorage.setItem("narrmon-reviewer", $("#reviewer").value); updateReviewButtons(); });
  updateReviewButtons();
  $("#search-form").addEventListener("submit", (event) => { event.preventDefault(); changed(); });
  for (const control of document.querySelectorAll("#filters select, #filters input")) control.addEventListener("change", changed);
  $("#more").addEventListener("click", () => search(true));
  $("#export-link").addEventListener("click", (event) => {
    if (!token()) return;  // reads are open: the plain link downloads
    event.preventDefault();
    download($("#export-link").href, "hits.csv").catch((error) => setStatus(`Export failed: ${error.message}`, true));
  });
  $("#clear-post").addEventListener("click", () => { $("#f-post").value = ""; changed(); });
  $("#new-hits").addEventListener("click", () => search());
  $("#drawer-close").addEventListener("click", () => { closeDrawer(); saveView(null); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !$("#drawer").hidden) { closeDrawer(); saveView(null); } });
  window.addEventListener("popstate", restore);
  window.addEventListener("focus", checkNewHits);
  setInterval(checkNewHits, POLL_MS);
  const hit = loadView();
  loadNarratives(changed);
  loadSpikes(showSpikeHits, actions.explain);
  loadFacets();
  $("#clear-post").hidden = !$("#f-post").value;
  search();
  if (hit) explain(hit);
  saveView(hit, true);
}

init();
