// The narratives panel: per-narrative counts, a 14-day sparkline and review-based precision; a
// click filters by it. The catalog version is shown in the panel's heading note.

import { $, api, el, setStatus } from "./api.js";

function sparkline(trend) {
  const width = 280, height = 36, pad = 2;
  const max = Math.max(1, ...trend.map((d) => d.count));
  const step = trend.length > 1 ? (width - 2 * pad) / (trend.length - 1) : 0;
  const points = trend.map((d, i) => `${(pad + i * step).toFixed(1)},${(height - pad - (d.count / max) * (height - 2 * pad)).toFixed(1)}`);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", "100%");
  svg.setAttribute("height", height);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  const first = trend[0] ? trend[0].day : "", last = trend.length ? trend[trend.length - 1].day : "";
  svg.setAttribute("aria-label", `hits per day ${first} to ${last}: ${trend.map((d) => d.count).join(", ")}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#0b62c4");
  line.setAttribute("stroke-width", "2");
  line.setAttribute("vector-effect", "non-scaling-stroke");
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

// "precision 80% (8 of 10 judged)": confirmed + correct_no_action over those plus false positives.
export function precisionLine(reviews) {
  if (!reviews || !reviews.judged) {
    return el("p", { className: "quiet precision", dataset: { testid: "precision" }, textContent: "precision: no reviews yet" });
  }
  const c = reviews.counts || {};
  const right = (c.confirmed || 0) + (c.correct_no_action || 0);
  const pct = Math.round(100 * reviews.precision);
  return el("p", {
    className: "precision", dataset: { testid: "precision" },
    title: `confirmed ${c.confirmed || 0}, correct (no action) ${c.correct_no_action || 0}, false positive ${c.false_positive || 0}, needs context ${c.needs_context || 0}`,
    textContent: `precision ${pct}% (${right} of ${reviews.judged} judged correct)`,
  });
}

export function markActive() {
  for (const li of $("#narratives").children) li.classList.toggle("active", li.dataset.id === $("#f-narrative").value);
}

export async function loadNarratives(onPick) {
  try {
    const body = await api("/api/narratives?days=14");
    const version = $("#catalog-version");
    if (version) version.textContent = body.catalog_version ? `catalog ${body.catalog} · ${body.catalog_version}` : "";
    const list = $("#narratives");
    const select = $("#f-narrative");
    const chosen = select.value;
    list.replaceChildren();
    select.replaceChildren(el("option", { value: "", textContent: "any" }));
    for (const n of body.narratives) {
      const item = el("li", { dataset: { id: n.id, testid: "narrative" } },
        el("span", { className: "count", textContent: n.count }), el("strong", { textContent: n.title || n.id }), " ",
        el("span", { className: "sev " + (n.severity || ""), textContent: n.severity || "" }), sparkline(n.trend));
      item.append(precisionLine(n.reviews));
      if (n.count && !n.trend.some((d) => d.count)) {
        item.append(el("p", { className: "quiet", textContent: `none in the last 14 days (last seen ${(n.last_seen || "?").slice(0, 10)})` }));
      }
      item.addEventListener("click", () => { select.value = n.id; onPick(); });
      list.append(item);
      select.append(el("option", { value: n.id, textContent: `${n.title || n.id} (${n.count})` }));
    }
    if (chosen && ![...select.options].some((o) => o.value === chosen)) select.append(el("option", { value: chosen, textContent: chosen }));
    select.value = chosen;
    markActive();
  } catch (error) {
    setStatus("Narratives failed: " + error.message, true);
  }
}
