// Escalations of one hit, in the "Why flagged?" drawer: the list with status buttons (sent,
// actioned, declined, no response) and a form to escalate. Writes need the API token.

import { api, el, setStatus, token } from "./api.js";

const ACTIONS = [["remove", "Remove"], ["label", "Label"], ["reduce", "Reduce reach"], ["refer_law_enforcement", "Refer to law enforcement"]];
const NEXT = [["sent", "Mark sent"], ["actioned", "Actioned"], ["declined", "Declined"], ["no_response", "No response"]];

function when(iso) { return iso ? iso.replace("T", " ").slice(0, 16) : "–"; }

function item(e, refresh) {
  const outcome = el("input", { placeholder: "outcome (optional)", value: e.outcome || "", dataset: { testid: "escalation-outcome" } });
  const buttons = NEXT.filter(([status]) => status !== e.status).map(([status, text]) => el("button", {
    className: "small", textContent: text, disabled: !token(), dataset: { testid: "escalation-" + status },
    onclick: async () => {
      try {
        await api("/api/escalations/" + e.id, { method: "PATCH", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ status, outcome: outcome.value.trim() || null }) });
        setStatus(`Escalation ${e.id.slice(0, 8)}: ${e.status} → ${status}`);
        refresh();
      } catch (error) { setStatus("Escalation update failed: " + error.message, true); }
    } }));
  return el("li", { className: "escalation", dataset: { testid: "escalation", status: e.status, id: e.id } },
    el("div", {}, el("strong", { className: "esc-status " + e.status, textContent: e.status.replace("_", " "), dataset: { testid: "escalation-status" } }),
      ` · ${e.action.replace(/_/g, " ")} via ${e.channel} · by ${e.created_by} ${when(e.created_at)}`),
    el("div", { className: "quiet", textContent: `sent ${when(e.sent_at)} · answered ${when(e.resolved_at)}` + (e.outcome ? ` · outcome: ${e.outcome}` : "") }),
    el("div", { className: "quiet", textContent: "why: " + e.reason }),
    el("div", { className: "esc-actions" }, outcome, ...buttons));
}

function form(hitId, refresh) {
  const action = el("select", { dataset: { testid: "escalate-action" } }, ...ACTIONS.map(([v, t]) => el("option", { value: v, textContent: t })));
  const channel = el("input", { placeholder: "channel, e.g. trusted-flagger portal", dataset: { testid: "escalate-channel" } });
  const reason = el("textarea", { placeholder: "why (for the tracking sheet)", rows: 2, dataset: { testid: "escalate-reason" } });
  const submit = el("button", { type: "submit", textContent: "Escalate to platform", disabled: !token(), dataset: { testid: "escalate-submit" },
    title: token() ? "" : "Escalations need the API token: open the Reviewer menu, top right" });
  const node = el("form", { className: "escalate", dataset: { testid: "escalate-form" } },
    el("label", {}, "Ask to ", action), channel, reason, submit);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api("/api/escalations", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ hit_id: hitId, action: action.value, channel: channel.value.trim(), reason: reason.value.trim() }) });
      setStatus(`Escalated ${hitId} (${made.action}, ${made.platform})`);
      refresh();
    } catch (error) { setStatus("Escalation failed: " + error.message, true); }
  });
  return node;
}

// Fill `container` with the hit's escalations and the form; `onChange` runs after a write.
export async function renderEscalations(hitId, container, onChange) {
  const refresh = () => { renderEscalations(hitId, container, onChange); if (onChange) onChange(); };
  try {
    const body = await api("/api/escalations?hit=" + encodeURIComponent(hitId));
    const list = el("ol", { className: "escalations", dataset: { testid: "escalations" } }, ...body.escalations.map((e) => item(e, refresh)));
    if (!body.escalations.length) list.append(el("li", { className: "quiet", textContent: "Not escalated." }));
    container.replaceChildren(list, form(hitId, refresh));
  } catch (error) {
    container.textContent = "Could not load escalations: " + error.message;
  }
}
