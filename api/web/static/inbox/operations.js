// The GraphQL documents the inbox page sends (see schema.graphql).

// how many of a conversation's latest messages the list reads to count unread ones
export const UNREAD_WINDOW = 20;

const ERROR_FIELDS = "... on Error { code field message }";

const CONVERSATION_FIELDS = `
  id title channel status aiState priority messageCount lastMessageAt waitingSince
  createdAt updatedAt handoffReason labels totalTokens totalCost
  contact { id name email phone leadStatus leadScore leadTemperature }
  assignee { id name }
  lastMessage { seq role content createdAt }
`;

const MESSAGE_FIELDS = "id seq cursor role content createdAt author { id name }";

export const VIEWER = `
query Viewer {
  viewer {
    role
    user { id name email }
    apiKey { name prefix }
    workspace { id name }
    workspaces { role workspace { id name } }
  }
  members { role user { id name } }
}`;

export const LOGIN = `
mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { token workspace { id name } workspaces { role workspace { id name } } }
    ... on RateLimitedError { retryAfterSeconds }
    ${ERROR_FIELDS}
  }
}`;

export const SWITCH_WORKSPACE = `
mutation Switch($input: SwitchWorkspaceInput!) {
  switchWorkspace(input: $input) {
    __typename
    ... on SwitchWorkspacePayload { token }
    ${ERROR_FIELDS}
  }
}`;

export const LOGOUT = `
mutation Logout { logout { __typename ${ERROR_FIELDS} } }`;

// the totals' cursor is a position of the workspace's event stream: inboxEvents and
// usageUpdated both resume from it, so nothing committed after this read is missed
export const USAGE = `
query Usage {
  currentUsage { cursor costUsd requests budgetUsedPercent periodStart }
  aiBudget { limitUsd mode spentUsd periodEnd }
}`;

export const CONVERSATIONS = `
query Conversations($first: Int!, $filter: ConversationFilter) {
  conversations(first: $first, filter: $filter) {
    edges { node {
      ${CONVERSATION_FIELDS}
      messages(last: ${UNREAD_WINDOW}) { edges { node { seq role } } }
    } }
  }
}`;

export const THREAD = `
query Thread($id: ID!, $last: Int!) {
  conversation(id: $id) {
    ${CONVERSATION_FIELDS}
    messages(last: $last) { edges { cursor node { ${MESSAGE_FIELDS} } } }
  }
}`;

export const INBOX_EVENTS = `
subscription InboxEvents($after: String) {
  inboxEvents(after: $after) {
    cursor type
    conversation { ${CONVERSATION_FIELDS} }
    contact { id name email phone leadStatus leadScore leadTemperature }
    message { seq role conversation { id } }
  }
}`;

export const MESSAGE_ADDED = `
subscription MessageAdded($conversationId: ID!, $after: String) {
  messageAdded(conversationId: $conversationId, after: $after) { ${MESSAGE_FIELDS} }
}`;

export const USAGE_UPDATED = `
subscription UsageUpdated($after: String) {
  usageUpdated(after: $after) { cursor costUsd requests budgetUsedPercent periodStart }
}`;

export const SEND_MESSAGE = `
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    __typename
    ... on SendMessagePayload { chatMessage { ${MESSAGE_FIELDS} } conversation { ${CONVERSATION_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;

export const ASSIGN = `
mutation Assign($input: AssignConversationInput!) {
  assignConversation(input: $input) {
    __typename
    ... on AssignConversationPayload { conversation { ${CONVERSATION_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;

export const HANDOFF = `
mutation Handoff($input: HandoffConversationInput!) {
  handoffConversation(input: $input) {
    __typename
    ... on HandoffConversationPayload { conversation { ${CONVERSATION_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;

export const SET_STATUS = `
mutation SetStatus($input: SetConversationStatusInput!) {
  setConversationStatus(input: $input) {
    __typename
    ... on SetConversationStatusPayload { conversation { ${CONVERSATION_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;
