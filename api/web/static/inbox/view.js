// DOM helpers and formatting. Every piece of data goes in as text (textContent or an
// attribute), never as HTML: messages and names are written by strangers.

/** An element: h("div", {class: "x", dataset: {id}}, child, "text", …). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const byId = (id) => document.getElementById(id);

/** Show `text` in an error element (or hide it when text is empty). */
export function showError(element, text) {
  element.textContent = text || "";
  element.hidden = !text;
}

const LABELS = {
  OPEN: "Open",
  PENDING: "Pending",
  SNOOZED: "Snoozed",
  RESOLVED: "Resolved",
  WHATSAPP: "WhatsApp",
  WEB: "Web chat",
  EMAIL: "E-mail",
  API: "API",
  GREETING: "Greeting",
  QUALIFYING: "Qualifying",
  SCORING: "Scoring",
  BOOKING: "Booking",
  PAYMENT: "Payment",
  SCHEDULING: "Scheduling",
  HANDOFF: "Handoff",
  COMPLETED: "Completed",
  HOT: "Hot",
  WARM: "Warm",
  COLD: "Cold",
  LOW: "Low",
  NORMAL: "Normal",
  HIGH: "High",
  URGENT: "Urgent",
  OWNER: "Owner",
  ADMIN: "Admin",
  AGENT: "Agent",
  VIEWER: "Viewer",
  NEW: "New",
  QUALIFIED: "Qualified",
  CONVERTED: "Converted",
  LOST: "Lost",
};

/** A person-readable name of an enum value. */
export const label = (value) => LABELS[value] || String(value);

/** A chip: kind is "status", "ai", "channel", "temp" or "role". */
export function chip(kind, value) {
  return h("span", { class: `chip chip-${kind} chip-${String(value).toLowerCase()}`, dataset: { [kind]: value } }, label(value));
}

/** The temperature badge of a contact (nothing when unscored). */
export function temperatureBadge(temperature) {
  return temperature ? chip("temp", temperature) : null;
}

/** Initials for an avatar, and a stable hue from the name. */
export function avatar(name, className = "avatar") {
  const words = String(name || "?").trim().split(/\s+/);
  const initials = (words[0][0] || "?") + (words.length > 1 ? words[words.length - 1][0] : "");
  let hue = 0;
  for (const character of String(name)) hue = (hue * 31 + character.codePointAt(0)) % 360;
  const element = h("span", { class: `${className} hue-${hue % 12}` }, initials.toUpperCase());
  return element;
}

/** "now", "5m", "3h", "2d", else the date. */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return "";
  const then = new Date(iso).getTime();
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return "now";
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h`;
  if (seconds < 7 * 86400) return `${Math.round(seconds / 86400)}d`;
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

/** A <time> that the page refreshes every half minute (see refreshTimes). */
export function timeElement(iso) {
  return h("time", { datetime: iso || "", title: iso ? new Date(iso).toLocaleString() : "" }, relativeTime(iso));
}

export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    element.textContent = relativeTime(element.getAttribute("datetime"));
  }
}

/** A Decimal string of USD, rounded for display only (cents, or 4 places below a dollar). */
export function usd(decimal) {
  if (decimal === null || decimal === undefined) return "–";
  const value = Number(decimal);
  const places = value !== 0 && Math.abs(value) < 1 ? 4 : 2;
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places })}`;
}
