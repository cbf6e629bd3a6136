// The side drawer: "why was this flagged?" for one hit (with its review history), or the posts
// most similar in meaning to a card's post (/api/similar).

import { $, api, el, httpUrlOrNull, reach } from "./api.js";
import { renderEscalations } from "./escalations.js";
import { publicExplanation, threatBreakdown } from "./explanation.js";

function row(dl, label, value) {
  dl.append(el("dt", { textContent: label }),
    value instanceof Node ? el("dd", {}, value) : el("dd", { textContent: value ?? "–" }));
}

function scoreBar(score, threshold) {
  const fill = el("span");
  fill.style.width = Math.min(100, score * 100) + "%";
  const mark = el("i");
  mark.style.left = Math.min(100, threshold * 100) + "%";
  return el("div", { className: "bar", title: `score ${score.toFixed(3)}, threshold ${threshold}` }, fill, mark);
}

function open(title, kind) {
  const drawer = $("#drawer");
  drawer.hidden = false;
  drawer.dataset.kind = kind;
  document.body.classList.add("drawer-open");
  $("#drawer-title").textContent = title;
  $("#history-section").hidden = kind !== "hit";
  $("#escalations-section").hidden = kind !== "hit";
  $("#escalations-body").replaceChildren();
  $("#drawer-body").textContent = "Loading…";
}

export function closeDrawer() {
  $("#drawer").hidden = true;
  delete $("#drawer").dataset.id;
  document.body.classList.remove("drawer-open");
}

export function openHit() {
  const drawer = $("#drawer");
  return !drawer.hidden && drawer.dataset.kind === "hit" ? drawer.dataset.id : null;
}

// Reload the open hit's history after an escalation change (the audit trail shows it).
async function reloadHistory(id) {
  try {
    const body = await api("/api/hits/" + encodeURIComponent(id));
    if ($("#drawer").dataset.id === id) renderHistory(body.history);
  } catch (error) { /* the next explain() will show it */ }
}

export async function explain(id, focusEscalation = false) {
  open("Why was this flagged?", "hit");
  $("#drawer").dataset.id = id;
  try {
    const path = "/api/hits/" + encodeURIComponent(id);
    const [body, plain] = await Promise.all([api(path), api(path + "/explanation")]);
    if ($("#drawer").dataset.id !== id) return;
    const hit = body.hit, ex = hit.explanation || {};
    const dl = el("dl");
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
    const figures = reach({ "post.author.followers": (hit.post.author || {}).followers,
      "post.engagement.likes": (hit.post.engagement || {}).likes, "post.engagement.views": (hit.post.engagement || {}).views });
    row(dl, "Reach", figures || "–");
    if (hit.post.url) {
      const href = httpUrlOrNull(hit.post.url);
      row(dl, "Link", href
        ? el("a", { href, textContent: hit.post.url, rel: "noopener noreferrer", target: "_blank" })
        : hit.post.url);
    }
    row(dl, "Review", `${body.review.state}${body.review.reviewer ? " by " + body.review.reviewer : ""}`);
    $("#drawer-body").replaceChildren(publicExplanation(plain), el("h3", { textContent: "Threat" }),
      threatBreakdown(hit.threat), el("h3", { textContent: "Match details" }), dl);
    renderHistory(body.history);
    await renderEscalations(id, $("#escalations-body"), () => reloadHistory(id));
    if (focusEscalation) $("#escalations-section").scrollIntoView();
  } catch (error) {
    $("#drawer-body").textContent = "Could not load the hit: " + error.message;
  }
}

function renderHistory(history) {
  const list = $("#history");
  list.replaceChildren();
  if (!history.length) list.append(el("li", { textContent: "Not reviewed yet." }));
  for (const entry of history) {
    const change = entry.escalation
      ? `escalation ${entry.escalation.action} (${entry.escalation.platform}): ${entry.escalation.before_status || "new"} → ${entry.escalation.status}`
      : `${(entry.before || {}).state} → ${(entry.after || {}).state}`;
    list.append(el("li", { dataset: { testid: "audit-entry" }, textContent:
      `${entry.at.replace("T", " ").slice(0, 19)} · ${entry.reviewer}: ${change}` + (entry.note ? ` (“${entry.note}”)` : "") }));
  }
}

// Posts closest in meaning to `text`, one entry per post (its best hit), without the post itself.
export async function similar(text, postId) {
  open("Similar posts", "similar");
  try {
    const body = await api("/api/similar", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text, size: 20 }),
    });
    const seen = new Set([postId]);
    const list = el("ol", { className: "similar", dataset: { testid: "similar-results" } });
    for (const hit of body.hits) {
      const f = hit.fields;
      if (seen.has(f["post.id"])) continue;
      seen.add(f["post.id"]);
      list.append(el("li", { dataset: { testid: "similar-post", postId: f["post.id"] } },
        el("p", { className: "text", textContent: f["post.text"] || "" }),
        el("div", { className: "byline", textContent: [f["post.platform"], f["post.author.handle"] && "@" + f["post.author.handle"],
          `${f["narrative.title"] || f["narrative.id"]} (${f["stance"] || "?"})`, `similarity ${Number(hit.score).toFixed(2)}`].filter(Boolean).join(" · ") }),
        el("button", { className: "why", textContent: "Why flagged?", onclick: () => explain(hit.id) })));
    }
    if (!list.children.length) list.append(el("li", { textContent: "No other post is close in meaning." }));
    $("#drawer-body").replaceChildren(el("p", { className: "caption", textContent: "Closest in meaning to: " + text }), list);
  } catch (error) {
    $("#drawer-body").textContent = "Could not find similar posts: " + error.message;
  }
}
