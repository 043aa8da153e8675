// Unread counts. The API has no per-agent read state, so the page derives one:
// a conversation's unread messages are the contact's (USER) messages after both the last
// reply (AGENT or ASSISTANT) and the last message this viewer has seen with the thread
// open. What a viewer has seen is kept in localStorage, per workspace and viewer.

const REPLY_ROLES = new Set(["AGENT", "ASSISTANT"]);

export class UnreadCounts {
  /** `storageKey` names this viewer's read markers in localStorage. */
  constructor(storageKey) {
    this.storageKey = storageKey;
    this.counts = new Map(); // conversation id -> {count, seq: the last message counted}
  }

  count(conversationId) {
    return (this.counts.get(conversationId) || { count: 0 }).count;
  }

  /** Count from the latest messages of a conversation (`{seq, role}`, oldest first). */
  countWindow(conversationId, messages, lastSeq) {
    const known = this.counts.get(conversationId);
    if (known && known.seq > lastSeq) return; // a live message already counted newer ones
    let since = this.seenSeq(conversationId);
    for (const message of messages) {
      if (REPLY_ROLES.has(message.role)) since = Math.max(since, message.seq);
    }
    const count = messages.filter((message) => message.role === "USER" && message.seq > since).length;
    this.counts.set(conversationId, { count, seq: lastSeq });
  }

  /** Count one new message (each counted once, however often it is reported). */
  countMessage(conversationId, message, { isOpen }) {
    const known = this.counts.get(conversationId) || { count: 0, seq: 0 };
    if (message.seq <= known.seq) return;
    let count = known.count;
    if (REPLY_ROLES.has(message.role)) count = 0;
    else if (message.role === "USER") count += 1;
    if (isOpen) {
      count = 0;
      this.markSeen(conversationId, message.seq);
    }
    this.counts.set(conversationId, { count, seq: message.seq });
  }

  /** The viewer has seen the thread up to `seq`. Returns whether a count dropped. */
  markSeen(conversationId, seq) {
    const markers = this.markers();
    if ((markers[conversationId] || 0) < seq) {
      markers[conversationId] = seq;
      localStorage.setItem(this.storageKey, JSON.stringify(markers));
    }
    const known = this.counts.get(conversationId);
    if (!known || !known.count) return false;
    this.counts.set(conversationId, { count: 0, seq: Math.max(known.seq, seq) });
    return true;
  }

  seenSeq(conversationId) {
    return Number(this.markers()[conversationId] || 0);
  }

  markers() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "{}");
    } catch {
      return {}; // unreadable markers: count as if nothing was seen
    }
  }
}
