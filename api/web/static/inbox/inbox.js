// The live inbox page: sign in, the conversation list (live from inboxEvents), a
// conversation's thread (live from messageAdded), replies and actions, and the month's AI
// spend (live from usageUpdated). Everything goes through Parley's GraphQL API.

import { ApiError, connect, live, request, resultError } from "./graphql.js";
import * as ops from "./operations.js";
import { UNREAD_WINDOW } from "./operations.js";
import { UnreadCounts } from "./unread.js";
import {
  avatar,
  byId,
  chip,
  h,
  label,
  refreshTimes,
  showError,
  temperatureBadge,
  timeElement,
  usd,
} from "./view.js";

const TOKEN_KEY = "parley.inbox.token";
const LIST_SIZE = 50;
const THREAD_SIZE = 50;

const state = {
  token: null,
  viewer: null,
  members: [],
  client: null,
  stops: [], // ends the workspace-wide subscriptions
  conversations: new Map(), // id -> conversation, as the API last described it
  unread: null, // UnreadCounts of the signed-in viewer
  filter: { status: "", assignee: "", channel: "", aiState: "" },
  listGeneration: 0, // a newer list load makes an older one's answer stale
  selected: null, // {id, lastSeq, stop}
  budgetLimit: null,
};

// ---------------------------------------------------------------- signing in and out

function showSignIn(message) {
  byId("app").hidden = true;
  byId("signin").hidden = false;
  byId("workspace-form").hidden = true;
  showPanel("login");
  showError(byId("signin-error"), message);
}

function showPanel(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.classList.toggle("active", tab.dataset.tab === name);
  }
  for (const panel of document.querySelectorAll("[data-panel]")) {
    panel.hidden = panel.dataset.panel !== name;
  }
}

async function signInWithPassword(form) {
  const email = form.email.value.trim();
  const data = await request(null, ops.LOGIN, {
    input: { email, password: form.password.value },
  });
  const result = data.login;
  if (result.__typename === "RateLimitedError") {
    throw new ApiError(`${result.message} Try again in ${result.retryAfterSeconds} s.`);
  }
  const failure = resultError(result);
  if (failure) throw new ApiError(failure);
  form.password.value = "";
  if (result.workspaces.length > 1) {
    chooseWorkspace(result);
    return;
  }
  await begin(result.token);
}

function chooseWorkspace(login) {
  const form = byId("workspace-form");
  const select = form.workspace;
  select.replaceChildren(
    ...login.workspaces.map(({ workspace, role }) =>
      h("option", { value: workspace.id, selected: workspace.id === login.workspace.id }, `${workspace.name} (${label(role)})`),
    ),
  );
  form.dataset.current = login.workspace.id;
  form.dataset.token = login.token;
  byId("login-form").hidden = true;
  form.hidden = false;
}

async function continueInWorkspace(form) {
  let token = form.dataset.token;
  const chosen = form.workspace.value;
  if (chosen !== form.dataset.current) {
    const result = (await request(token, ops.SWITCH_WORKSPACE, { input: { workspaceId: chosen } })).switchWorkspace;
    const failure = resultError(result);
    if (failure) throw new ApiError(failure);
    token = result.token;
  }
  delete form.dataset.token;
  await begin(token);
}

async function signOut(message) {
  const { token, viewer } = state;
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.viewer = null;
  if (token && viewer && viewer.user && !viewer.apiKey) {
    try {
      await request(token, ops.LOGOUT); // ends the session on the server too
    } catch {
      // already ended
    }
  }
  showSignIn(message);
}

function stopLive() {
  for (const stop of state.stops) stop();
  state.stops = [];
  if (state.selected) state.selected.stop();
  state.selected = null;
  if (state.client) state.client.dispose();
  state.client = null;
  renderLiveState("connecting");
  state.conversations.clear();
  state.unread = null;
  state.listGeneration += 1; // a list still loading is dropped
}

// ---------------------------------------------------------------- starting the inbox

/** Sign in with `token`: read who we are, then start everything live. */
async function begin(token) {
  const data = await request(token, ops.VIEWER);
  state.token = token;
  state.viewer = data.viewer;
  state.members = data.members;
  state.unread = new UnreadCounts(readMarkersKey(data.viewer));
  sessionStorage.setItem(TOKEN_KEY, token);
  byId("signin").hidden = true;
  byId("app").hidden = false;
  renderViewer();
  renderFilters();
  closeThread();
  // a disposed client (after signing out) may still report its closing: ignore it
  let client = null;
  client = connect(token, {
    onState: (liveState) => (state.client === client ? renderLiveState(liveState) : undefined),
    onFatal: (reason) => (state.client === client ? signOut(`Signed out: ${reason}`) : undefined),
  });
  state.client = client;
  await startStreams();
}

/** Read the event stream's position, follow inboxEvents and usageUpdated from it, then
 * load the list: whatever changes after that position arrives live. */
async function startStreams() {
  for (const stop of state.stops) stop();
  const usage = await api(ops.USAGE);
  state.budgetLimit = usage.aiBudget.limitUsd;
  renderUsage(usage.currentUsage);
  const after = usage.currentUsage.cursor;
  state.stops = [
    live(state.client, ops.INBOX_EVENTS, { after }, {
      onItem: (data) => applyInboxEvent(data.inboxEvents),
      cursorOf: (data) => data.inboxEvents.cursor,
      onError: restartStreams,
    }),
    live(state.client, ops.USAGE_UPDATED, { after }, {
      onItem: (data) => renderUsage(data.usageUpdated),
      cursorOf: (data) => data.usageUpdated.cursor,
      onError: restartStreams,
    }),
  ];
  await loadList();
}

/** A stream refused to go on (e.g. its cursor expired): say so, and start afresh. */
function restartStreams(error) {
  showBanner(`Live updates restarted: ${error.message}`);
  startStreams().catch(showFailure);
}

/** A query or mutation as the signed-in viewer; a refused credential signs out. */
async function api(query, variables) {
  try {
    return await request(state.token, query, variables);
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") {
      await signOut("Your session has ended: sign in again.");
    }
    throw error;
  }
}

// ---------------------------------------------------------------- the header

function renderViewer() {
  const { viewer } = state;
  byId("workspace-name").textContent = viewer.workspace.name;
  byId("me-name").textContent = viewer.user ? viewer.user.name : `API key “${viewer.apiKey.name}”`;
  byId("me-role").textContent = label(viewer.role);
  byId("assign-me").hidden = !viewer.user;
}

function renderLiveState(liveState) {
  const element = byId("live");
  const text = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", reconnected: "Live" };
  element.dataset.state = liveState === "reconnected" ? "connected" : liveState;
  byId("live-text").textContent = text[liveState] || liveState;
}

function renderUsage(totals) {
  byId("spend-amount").textContent = usd(totals.costUsd);
  byId("spend-limit").textContent = state.budgetLimit ? `of ${usd(state.budgetLimit)} this month` : "this month, no budget";
  const percent = totals.budgetUsedPercent === null ? null : Number(totals.budgetUsedPercent);
  const fill = byId("budget-fill");
  fill.style.width = `${percent === null ? 0 : Math.min(percent, 100)}%`;
  fill.dataset.level = percent === null ? "none" : percent >= 100 ? "over" : percent >= 80 ? "high" : "ok";
  byId("spend").dataset.percent = percent === null ? "" : String(percent);
  byId("spend").title = percent === null ? "AI spend this month (no budget set)" : `${percent}% of this month's AI budget`;
}

// ---------------------------------------------------------------- the list

function renderFilters() {
  const assignee = byId("filter-assignee");
  const people = state.members.map((member) => h("option", { value: member.user.id }, member.user.name));
  const me = state.viewer.user ? [h("option", { value: state.viewer.user.id }, "Assigned to me")] : [];
  assignee.replaceChildren(
    h("option", { value: "" }, "Anyone"),
    h("option", { value: "unassigned" }, "Unassigned"),
    ...me,
    ...people.filter((option) => !state.viewer.user || option.value !== state.viewer.user.id),
  );
  assignee.value = state.filter.assignee;
}

function filterVariables() {
  const { status, assignee, channel, aiState } = state.filter;
  const filter = {};
  if (status) filter.status = status;
  if (channel) filter.channel = channel;
  if (aiState) filter.aiState = aiState;
  if (assignee === "unassigned") filter.unassigned = true;
  else if (assignee) filter.assigneeId = assignee;
  return filter;
}

/** Does a conversation belong in the list under the current filters? (the same rules as
 * ConversationFilter, for conversations that arrive live) */
function matchesFilter(conversation) {
  const { status, assignee, channel, aiState } = state.filter;
  const assigneeId = conversation.assignee ? conversation.assignee.id : null;
  return (
    (!status || conversation.status === status) &&
    (!channel || conversation.channel === channel) &&
    (!aiState || conversation.aiState === aiState) &&
    (!assignee || (assignee === "unassigned" ? assigneeId === null : assigneeId === assignee))
  );
}

async function loadList() {
  const generation = ++state.listGeneration;
  const data = await api(ops.CONVERSATIONS, { first: LIST_SIZE, filter: filterVariables() });
  if (generation !== state.listGeneration) return; // the filters changed, or signed out
  const loaded = new Map();
  for (const { node } of data.conversations.edges) {
    const known = state.conversations.get(node.id);
    loaded.set(node.id, known && known.updatedAt > node.updatedAt ? known : node);
    const lastSeq = node.lastMessage ? node.lastMessage.seq : 0;
    state.unread.countWindow(node.id, node.messages.edges.map((edge) => edge.node), lastSeq);
  }
  // conversations that arrived live while the list loaded stay
  for (const [id, conversation] of state.conversations) {
    if (!loaded.has(id) && matchesFilter(conversation)) loaded.set(id, conversation);
  }
  state.conversations = loaded;
  renderList();
}

function sortedConversations() {
  const activity = (conversation) => conversation.lastMessageAt || conversation.createdAt;
  return [...state.conversations.values()].sort((a, b) => (activity(a) < activity(b) ? 1 : -1));
}

function renderList() {
  const items = sortedConversations().map(conversationItem);
  byId("conversations").replaceChildren(...items);
  byId("list-empty").hidden = items.length > 0;
}

function preview(conversation) {
  const message = conversation.lastMessage;
  if (!message) return h("span", { class: "muted" }, "No messages yet");
  const who = { AGENT: "Agent: ", ASSISTANT: "Bot: ", SYSTEM: "System: " }[message.role] || "";
  return h("span", {}, who, message.content);
}

function conversationItem(conversation) {
  const unread = state.unread.count(conversation.id);
  const selected = state.selected && state.selected.id === conversation.id;
  const unreadText = unread >= UNREAD_WINDOW ? `${UNREAD_WINDOW}+` : String(unread);
  return h(
    "li",
    { class: `conversation${selected ? " selected" : ""}${unread ? " has-unread" : ""}`, dataset: { conversationId: conversation.id }, tabindex: "0" },
    avatar(conversation.contact.name),
    h(
      "div",
      { class: "conversation-body" },
      h(
        "div",
        { class: "conversation-top" },
        h("span", { class: "contact" }, conversation.contact.name),
        temperatureBadge(conversation.contact.leadTemperature),
        h("span", { class: "spacer" }),
        timeElement(conversation.lastMessageAt || conversation.createdAt),
      ),
      h("div", { class: "conversation-middle" }, h("span", { class: "preview" }, preview(conversation)), unread ? h("span", { class: "unread", title: "Unanswered messages from the contact" }, unreadText) : null),
      h(
        "div",
        { class: "chips" },
        chip("status", conversation.status),
        chip("ai", conversation.aiState),
        chip("channel", conversation.channel),
        h("span", { class: "assignee" }, conversation.assignee ? conversation.assignee.name : "Unassigned"),
      ),
    ),
  );
}

// ---------------------------------------------------------------- live inbox events

function applyInboxEvent(event) {
  if (event.type === "CONTACT_UPDATED" && event.contact) {
    for (const conversation of state.conversations.values()) {
      if (conversation.contact.id === event.contact.id) conversation.contact = event.contact;
    }
  }
  if (event.message && event.message.conversation) {
    const id = event.message.conversation.id;
    const isOpen = Boolean(state.selected && state.selected.id === id);
    state.unread.countMessage(id, event.message, { isOpen });
  }
  if (event.conversation) upsertConversation(event.conversation);
  renderList();
  // only a change of the open conversation redraws its details (an open menu stays open)
  if (event.conversation && state.selected && event.conversation.id === state.selected.id) {
    renderDetails(state.selected.conversation);
  }
}

/** The API's newest description of a conversation: kept if it matches the filters. */
function upsertConversation(conversation) {
  const known = state.conversations.get(conversation.id);
  if (known && known.updatedAt > conversation.updatedAt) return;
  if (matchesFilter(conversation)) state.conversations.set(conversation.id, conversation);
  else state.conversations.delete(conversation.id);
  if (state.selected && state.selected.id === conversation.id) {
    state.selected.conversation = conversation;
  }
}

// ---------------------------------------------------------------- the thread

function closeThread() {
  if (state.selected) state.selected.stop();
  state.selected = null;
  byId("thread").hidden = true;
  byId("thread-empty").hidden = false;
  byId("details").hidden = true;
  byId("details-empty").hidden = false;
}

async function openThread(id) {
  if (state.selected && state.selected.id === id) return;
  if (state.selected) state.selected.stop();
  const selected = { id, lastSeq: 0, stop: () => {}, conversation: null };
  state.selected = selected;
  const data = await api(ops.THREAD, { id, last: THREAD_SIZE });
  if (state.selected !== selected) return; // another conversation was picked meanwhile
  const conversation = data.conversation;
  if (!conversation) {
    showBanner("That conversation is not in this workspace any more.");
    closeThread();
    return;
  }
  selected.conversation = conversation;
  const edges = conversation.messages.edges;
  byId("messages").replaceChildren();
  appendMessages(selected, edges.map((edge) => edge.node));
  const after = edges.length ? edges[edges.length - 1].cursor : null;
  selected.stop = live(state.client, ops.MESSAGE_ADDED, { conversationId: id, after }, {
    onItem: (item) => appendMessages(selected, [item.messageAdded]),
    cursorOf: (item) => item.messageAdded.cursor,
    onError: (error) => showBanner(`Live messages stopped: ${error.message}`),
  });
  if (!after) {
    // no cursor to resume from: read once more, so a message sent meanwhile is not missed
    const again = await api(ops.THREAD, { id, last: THREAD_SIZE });
    if (again.conversation) appendMessages(selected, again.conversation.messages.edges.map((edge) => edge.node));
  }
  byId("thread-empty").hidden = true;
  byId("thread").hidden = false;
  byId("details-empty").hidden = true;
  byId("details").hidden = false;
  renderThreadHead(conversation);
  renderDetails(conversation);
  renderList();
  byId("reply-text").focus();
}

/** Messages in seq order; ones already shown (a replay, our own send) are skipped. */
function appendMessages(selected, messages) {
  if (state.selected !== selected) return;
  const list = byId("messages");
  for (const message of messages) {
    if (message.seq <= selected.lastSeq) continue;
    selected.lastSeq = message.seq;
    list.append(messageItem(message));
  }
  byId("messages-empty-note")?.remove();
  if (!list.children.length) list.append(h("li", { class: "empty-note", id: "messages-empty-note" }, "No messages yet. Say hello."));
  list.scrollTop = list.scrollHeight;
  if (state.unread.markSeen(selected.id, selected.lastSeq)) renderList();
}

function messageItem(message) {
  const who = {
    USER: state.selected.conversation ? state.selected.conversation.contact.name : "Contact",
    ASSISTANT: "AI assistant",
    SYSTEM: "System",
    AGENT: message.author ? message.author.name : "Agent",
  }[message.role];
  return h(
    "li",
    { class: `message message-${message.role.toLowerCase()}`, dataset: { seq: message.seq, role: message.role } },
    h("div", { class: "bubble" }, message.content),
    h("div", { class: "message-meta" }, h("span", {}, who), " · ", timeElement(message.createdAt)),
  );
}

function renderThreadHead(conversation) {
  byId("thread-title").textContent = conversation.title || conversation.contact.name;
  const assignee = conversation.assignee ? `assigned to ${conversation.assignee.name}` : "unassigned";
  const about = conversation.title ? [conversation.contact.name] : [];
  byId("thread-sub").textContent = [...about, label(conversation.channel), `${conversation.messageCount} messages`, assignee].join(" · ");
  byId("thread-chips").replaceChildren(chip("status", conversation.status), chip("ai", conversation.aiState), temperatureBadge(conversation.contact.leadTemperature) || "");
}

// ---------------------------------------------------------------- details and actions

function fact(term, value) {
  return value === null || value === undefined || value === "" ? [] : [h("dt", {}, term), h("dd", {}, value)];
}

function renderDetails(conversation) {
  if (!conversation || !state.selected || conversation.id !== state.selected.id) return;
  renderThreadHead(conversation);
  const contact = conversation.contact;
  byId("contact-avatar").replaceChildren(avatar(contact.name, "avatar avatar-large"));
  byId("contact-name").textContent = contact.name;
  byId("contact-temp").replaceChildren(temperatureBadge(contact.leadTemperature) || h("span", { class: "muted" }, "Not scored"));
  byId("contact-facts").replaceChildren(
    ...fact("E-mail", contact.email),
    ...fact("Phone", contact.phone),
    ...fact("Lead", label(contact.leadStatus)),
    ...fact("Score", contact.leadScore),
  );
  byId("conversation-facts").replaceChildren(
    ...fact("Channel", label(conversation.channel)),
    ...fact("Priority", label(conversation.priority)),
    ...fact("Labels", conversation.labels.join(", ")),
    ...fact("Handoff", conversation.handoffReason),
    ...fact("AI cost", usd(conversation.totalCost)),
    ...fact("Started", new Date(conversation.createdAt).toLocaleString()),
  );
  const select = byId("assign-select");
  select.replaceChildren(
    h("option", { value: "" }, "Unassigned"),
    ...state.members.map((member) => h("option", { value: member.user.id }, member.user.name)),
  );
  select.value = conversation.assignee ? conversation.assignee.id : "";
  const resolved = conversation.status === "RESOLVED";
  byId("resolve").textContent = resolved ? "Reopen" : "Resolve";
  byId("resolve").dataset.next = resolved ? "OPEN" : "RESOLVED";
}

/** Run a conversation mutation; its changed conversation updates the page, its error
 * member is shown in `errorElement`. Returns the payload, or null. */
async function mutate(document, variables, field, errorElement) {
  showError(errorElement, "");
  try {
    const result = (await api(document, variables))[field];
    const failure = resultError(result);
    if (failure) {
      showError(errorElement, failure);
      return null;
    }
    if (result.conversation) {
      upsertConversation(result.conversation);
      renderList();
      renderDetails(result.conversation);
    }
    return result;
  } catch (error) {
    showError(errorElement, error.message);
    return null;
  }
}

async function sendReply() {
  const text = byId("reply-text");
  const content = text.value;
  if (!content.trim() || !state.selected) return;
  const selected = state.selected;
  const button = byId("reply-send");
  button.disabled = true;
  try {
    const input = { conversationId: selected.id, role: "AGENT", content };
    const result = await mutate(ops.SEND_MESSAGE, { input }, "sendMessage", byId("reply-error"));
    if (result) {
      if (text.value === content) text.value = "";
      appendMessages(selected, [result.chatMessage]);
    }
  } finally {
    button.disabled = false;
  }
}

function assign(assigneeId) {
  const input = { conversationId: state.selected.id, assigneeId: assigneeId || null };
  return mutate(ops.ASSIGN, { input }, "assignConversation", byId("action-error"));
}

async function handOff() {
  const reason = byId("handoff-reason");
  const input = { conversationId: state.selected.id, reason: reason.value };
  if (await mutate(ops.HANDOFF, { input }, "handoffConversation", byId("action-error"))) reason.value = "";
}

function setStatus(status) {
  const input = { conversationId: state.selected.id, status };
  return mutate(ops.SET_STATUS, { input }, "setConversationStatus", byId("action-error"));
}

// ---------------------------------------------------------------- read markers

/** Where a viewer's read markers live: per workspace, and per user or API key. */
function readMarkersKey(viewer) {
  const who = viewer.user ? viewer.user.id : `key:${viewer.apiKey.prefix}`;
  return `parley.inbox.read.${viewer.workspace.id}.${who}`;
}

// ---------------------------------------------------------------- messages to the user

function showBanner(text) {
  const banner = byId("banner");
  banner.replaceChildren(h("span", {}, text), h("button", { type: "button", class: "ghost", "aria-label": "Dismiss" }, "×"));
  banner.hidden = false;
}

function showFailure(error) {
  showBanner(error && error.message ? error.message : String(error));
}

// ---------------------------------------------------------------- wiring

function on(id, event, handler) {
  byId(id).addEventListener(event, (domEvent) => {
    Promise.resolve(handler(domEvent)).catch(showFailure);
  });
}

function submitting(id, handler, errorId) {
  byId(id).addEventListener("submit", (event) => {
    event.preventDefault();
    if (errorId) showError(byId(errorId), "");
    Promise.resolve(handler(event.target)).catch((error) => {
      if (errorId) showError(byId(errorId), error.message);
      else showFailure(error);
    });
  });
}

function wire() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      showPanel(tab.dataset.tab);
      byId("workspace-form").hidden = true;
      showError(byId("signin-error"), "");
    });
  }
  submitting("login-form", signInWithPassword, "signin-error");
  submitting("apikey-form", (form) => begin(form.apikey.value.trim()).then(() => (form.apikey.value = "")), "signin-error");
  submitting("workspace-form", continueInWorkspace, "signin-error");
  on("signout", "click", () => signOut(""));
  on("banner", "click", (event) => {
    if (event.target.closest("button")) byId("banner").hidden = true;
  });
  const filters = { "filter-status": "status", "filter-assignee": "assignee", "filter-channel": "channel", "filter-ai": "aiState" };
  for (const [id, key] of Object.entries(filters)) {
    on(id, "change", (event) => {
      state.filter[key] = event.target.value;
      state.conversations.clear();
      return loadList();
    });
  }
  const pick = (event) => {
    const item = event.target.closest("[data-conversation-id]");
    if (item) return openThread(item.dataset.conversationId);
  };
  on("conversations", "click", pick);
  on("conversations", "keydown", (event) => (event.key === "Enter" ? pick(event) : undefined));
  submitting("reply-form", sendReply);
  on("reply-text", "keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      return sendReply();
    }
  });
  on("assign-select", "change", (event) => assign(event.target.value));
  on("assign-me", "click", () => assign(state.viewer.user.id));
  submitting("handoff-form", handOff);
  on("resolve", "click", (event) => setStatus(event.target.dataset.next));
  setInterval(() => refreshTimes(), 30_000);
}

async function start() {
  wire();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showSignIn("");
    return;
  }
  try {
    await begin(token);
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn(error.code === "UNAUTHENTICATED" ? "Your session has ended: sign in again." : error.message);
  }
}

start();
