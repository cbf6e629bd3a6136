// Parts of the "Why flagged?" drawer: the plain-language explanation fit to show the person who
// posted (GET /api/hits/{id}/explanation) and the threat score's breakdown (analysts only).

import { el, httpUrlOrNull } from "./api.js";

export function publicExplanation(body) {
  const box = el("section", { className: "public", dataset: { testid: "public-explanation" } },
    el("h3", { textContent: "In plain words (shareable with the poster)" }),
    el("p", { textContent: body.text, dataset: { testid: "public-text" } }));
  if (body.fact_checks.length) {
    const list = el("ul", { dataset: { testid: "fact-checks" } });
    for (const check of body.fact_checks) {
      const href = httpUrlOrNull(check.url);
      if (!href) continue;
      list.append(el("li", {}, el("a", { href, textContent: check.publisher || check.url, rel: "noopener noreferrer", target: "_blank" }),
        check.rating ? ` (${check.rating})` : ""));
    }
    box.append(el("p", { className: "caption", textContent: "Fact checks:" }), list);
  }
  return box;
}

const PARTS = [["severity", "Severity"], ["velocity", "Velocity"], ["reach", "Reach"], ["targeting", "Targeting"]];

export function threatBreakdown(threat) {
  if (!threat) return el("p", { className: "quiet", textContent: "No threat score (hit indexed before threat levels)." });
  const table = el("table", { className: "parts", dataset: { testid: "threat-parts" } },
    el("tr", {}, el("th", { textContent: "part" }), el("th", { textContent: "from" }), el("th", { textContent: "points" })));
  for (const [key, label] of PARTS) {
    const part = threat[key];
    table.append(el("tr", { dataset: { part: key } }, el("td", { textContent: label }), el("td", { textContent: part.detail }),
      el("td", { className: "num", textContent: `${part.points} / ${Math.round(part.weight * 100)}` })));
  }
  table.append(el("tr", {}, el("td", { textContent: "Stance factor" }), el("td", { textContent: "promotes 1, discusses 0.7, debunks 0.3" }),
    el("td", { className: "num", textContent: `× ${threat.stance_factor}` })));
  return el("div", {},
    el("p", { dataset: { testid: "threat-summary" }, textContent: `Threat ${threat.level}: ${threat.score} / 100 (${threat.version})` }),
    table);
}
