// The view lives in the URL (?q=..&narrative=..&sort=..&hit=..): a reload keeps it and a link
// shares it. Every filter control carries its API parameter name in data-param.

import { $, el } from "./api.js";

// The triage queue: unreviewed first, highest threat first (the API's default too).
export const DEFAULT_SORT = "triage";
const controls = () => [$("#q"), ...document.querySelectorAll("#filters [data-param]")];
const paramOf = (control) => control.dataset.param || control.name;

// The API's filter parameters from the controls (sort and paging are added by the caller).
export function filterParams() {
  const params = new URLSearchParams();
  for (const control of controls()) {
    const value = control.value.trim();
    if (value && paramOf(control) !== "sort") params.set(paramOf(control), value);
  }
  return params;
}

export function viewParams(openHit) {
  const params = filterParams();
  const sort = $("#f-sort").value;
  if (sort && sort !== DEFAULT_SORT) params.set("sort", sort);
  if (openHit) params.set("hit", openHit);
  return params;
}

// Write the current view into the address bar (push: Back returns to the previous view).
export function saveView(openHit, replace = false) {
  const query = viewParams(openHit).toString();
  const url = location.pathname + (query ? "?" + query : "");
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", url); else history.pushState(null, "", url);
}

// Set the controls from the address bar; returns the hit id whose explanation was open.
export function loadView() {
  const params = new URLSearchParams(location.search);
  for (const control of controls()) {
    const name = paramOf(control);
    const value = params.get(name) || (name === "sort" ? DEFAULT_SORT : "");
    if (control.tagName === "SELECT" && value && ![...control.options].some((o) => o.value === value)) {
      control.append(el("option", { value, textContent: value }));  // its real label arrives later
    }
    control.value = value;
  }
  return params.get("hit");
}
