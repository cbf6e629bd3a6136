// Talking to the analyst API, and the small DOM helpers every view uses.
// Nothing from the API is inserted as HTML except highlight fragments, which Elasticsearch
// escapes (`encoder: html`) so that only <mark> is markup.

export const $ = (sel, root = document) => root.querySelector(sel);

// el("li", {className: "hit", dataset: {id}}, child, "text", ...)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset || {});
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

// A post's url comes from whoever wrote the post: only http(s) URLs may become links
// (never javascript:, data:, vbscript: or relative ones). Returns the normalised URL or null.
export function httpUrlOrNull(value) {
  let url;
  try { url = new URL(String(value)); } catch { return null; }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

export function token() { return $("#token").value.trim(); }
export function reviewer() { return $("#reviewer").value.trim(); }

function authHeaders() {
  const headers = {};
  if (token()) headers["Authorization"] = "Bearer " + token();
  return headers;
}

const WHERE_TOKEN = "enter your personal API token under the Reviewer menu, top right";

export class ApiError extends Error {
  constructor(status, body) {
    const what = body.parameter ? `${body.parameter}: ${body.detail}` : (body.detail || "");
    let text = `${status} ${what}`.trim();
    if (status === 401) text = `401: no API token was sent: ${WHERE_TOKEN}`;
    if (status === 403) text = `403: ${body.detail || "the API token was refused"}: check your token under the Reviewer menu, top right (reviews need the reviewer role)`;
    super(text);
    this.status = status;
  }
}

// A download that carries the token: a plain link cannot send an Authorization header, so when a
// token is set the file is fetched and handed to the browser as a blob.
export async function download(path, filename) {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export function setStatus(text, isError = false) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

export function count(value, unit) {
  return Number.isInteger(value) ? `${value.toLocaleString("en-US")} ${unit}` : null;
}

// "1,954 followers · 10 likes · 6,391 views" for whatever figures the post has.
export function reach(fields) {
  return [count(fields["post.author.followers"], "followers"), count(fields["post.engagement.likes"], "likes"),
    count(fields["post.engagement.views"], "views")].filter(Boolean).join(" · ");
}
