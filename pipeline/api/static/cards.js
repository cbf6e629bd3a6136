// One card per post, with a row for every narrative the post matches (hit = post x narrative).
// Rows outside the current filters (found by the follow-up `post=` query) are marked "also".

import { $, el, reach, token } from "./api.js";

export const LABELS = [
  ["confirmed", "Confirm"],
  ["false_positive", "False positive"],
  ["needs_context", "Needs context"],
  ["correct_no_action", "Correct, no action"],
];
const NO_TOKEN = "Reviews need the API token: open the Reviewer menu, top right";

function postText(hit) {
  const node = el("p", { className: "text" });
  const fragments = hit.highlight && hit.highlight["post.text"];
  if (fragments) node.innerHTML = fragments.join(" … ");  // escaped by Elasticsearch, see api.js
  else node.textContent = hit.fields["post.text"] || "";
  return node;
}

function byline(f, actions) {
  const when = (f["post.created_at"] || "").replace("T", " ").slice(0, 16);
  const handle = f["post.author.handle"];
  const author = handle ? el("button", { className: "link author", textContent: "@" + handle, title: "Only this author's posts",
    dataset: { testid: "author" }, onclick: () => actions.filterAuthor(handle) }) : null;
  const figures = reach(f);
  const reachEl = figures ? el("span", { className: "reach", textContent: figures, dataset: { testid: "reach" } }) : null;
  const parts = [f["post.platform"], author, when, f["domain"], reachEl].filter(Boolean);
  const line = el("div", { className: "byline" });
  parts.forEach((part, i) => { if (i) line.append(" · "); line.append(part); });
  return line;
}

export function setReviewState(row, state) {
  const badge = $(".review-state", row);
  badge.className = "review-state " + state;
  badge.textContent = state.replace(/_/g, " ");
  badge.dataset.state = state;
}

function threatBadge(f) {
  const level = f["threat.level"];
  if (!level) return null;
  return el("span", { className: "threat " + level, textContent: `threat ${level} ${Math.round(f["threat.score"])}`,
    title: "Threat score 0-100 from severity, velocity, reach, targeting and stance (Why flagged? shows the parts)",
    dataset: { testid: "threat", level } });
}

function hitRow(hit, inFilter, actions) {
  const f = hit.fields;
  const severity = f["narrative.severity"] || "none";
  const row = el("li", { className: "hit" + (inFilter ? "" : " also"), dataset: { id: hit.id, testid: "hit" } },
    el("div", { className: "meta" },
      threatBadge(f),
      el("span", { className: "sev " + severity, textContent: severity }),
      el("span", { className: "narrative", textContent: f["narrative.title"] || f["narrative.id"] }),
      el("span", { className: "stance " + (f["stance"] || ""), textContent: f["stance"] || "stance ?" }),
      el("span", { className: "score", textContent: "score " + Number(f["scores.combined"]).toFixed(2) }),
      inFilter ? null : el("span", { className: "quiet", textContent: "(outside the filters)" }),
      el("span", { className: "review-state", dataset: { testid: "review-state" } })),
    el("div", { className: "actions" },
      el("button", { className: "why", textContent: "Why flagged?", dataset: { testid: "why" }, onclick: () => actions.explain(hit.id) }),
      el("button", { className: "escalate", textContent: "Escalate…", dataset: { testid: "escalate" },
        title: "Ask the platform to act (opens the escalation form)", onclick: () => actions.escalate(hit.id) }),
      ...LABELS.map(([label, text]) => el("button", {
        className: "review", textContent: text, dataset: { label, testid: "review-" + label },
        onclick: () => actions.review(hit.id, label, row) }))));
  setReviewState(row, f["review.state"] || "unreviewed");
  return row;
}

// The card for `hit`'s post (created on first sight), with a row for `hit` unless it has one.
export function addHit(list, hit, inFilter, actions) {
  const postId = hit.fields["post.id"] || hit.id;
  let card = [...list.children].find((c) => c.dataset.postId === postId);
  if (!card) {
    if (!inFilter) return;
    const similarButton = el("button", { className: "small", textContent: "Similar posts", dataset: { testid: "similar" },
      title: "Posts closest in meaning to this one", onclick: () => actions.similar(hit.fields["post.text"] || "", postId) });
    card = el("li", { className: "post", dataset: { postId, testid: "post" } },
      postText(hit), el("div", { className: "post-head" }, byline(hit.fields, actions), similarButton),
      el("ul", { className: "post-hits" }));
    card.dataset.text = hit.fields["post.text"] || "";
    list.append(card);
  }
  const rows = $(".post-hits", card);
  const existing = [...rows.children].find((r) => r.dataset.id === hit.id);
  if (existing) {
    if (inFilter) existing.replaceWith(hitRow(hit, true, actions));
    return;
  }
  rows.append(hitRow(hit, inFilter, actions));
  updateReviewButtons();
}

// Review buttons work only with a token; the Reviewer menu says whether one is set.
export function updateReviewButtons() {
  const has = Boolean(token());
  for (const button of document.querySelectorAll("button.review, #escalations-body button")) {
    button.disabled = !has;
    button.title = has ? "" : NO_TOKEN;
  }
  const name = $("#reviewer").value.trim();
  const stateEl = $("#token-state");
  stateEl.textContent = has ? `Reviewer: ${name || "(no name)"} · token set` : "Reviewer: read-only (no token)";
  stateEl.className = has ? "ok" : "warn";
}
