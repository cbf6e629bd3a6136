// The spikes panel: narratives that spiked (GET /api/spikes), each linking to the hits behind it
// (its example posts' hits, shown as the results through the hidden `post` filter).

import { $, api, el } from "./api.js";

export async function loadSpikes(showHits, explain) {
  const list = $("#spikes");
  try {
    const body = await api("/api/spikes?since=7d&size=20");
    list.replaceChildren();
    if (!body.spikes.length) list.append(el("li", { className: "quiet", textContent: "No spike in the last 7 days." }));
    for (const s of body.spikes) {
      const at = s.window_start.replace("T", " ").slice(0, 16);
      const show = el("button", { className: "link", textContent: `show ${s.hit_ids.length} hits`, dataset: { testid: "spike-hits" },
        onclick: () => showHits(s.hits_filter) });
      const first = s.hit_ids[0];
      list.append(el("li", { dataset: { testid: "spike", id: s.id } },
        el("strong", { textContent: s.narrative_title || s.narrative_id }), " ",
        el("span", { className: "sev " + s.severity, textContent: s.severity }),
        el("div", { className: "quiet", textContent: `${at} UTC · ${s.count} hits, ${s.distinct_authors} authors · z ${Number(s.z).toFixed(1)} (baseline ${Number(s.baseline).toFixed(1)}/window)${s.platform ? " · " + s.platform : ""}` }),
        el("div", {}, show, first ? " · " : null,
          first ? el("button", { className: "link", textContent: "first example", onclick: () => explain(first) }) : null)));
    }
  } catch (error) {
    list.replaceChildren(el("li", { className: "quiet", textContent: "Spikes unavailable: " + error.message }));
  }
}
