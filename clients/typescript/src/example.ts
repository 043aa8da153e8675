// A small typed client of Parley built on the generated documents (src/gql/): `tsc --strict`
// checks that variables and results line up with schema.graphql. Queries and mutations go
// over fetch, subscriptions over graphql-ws; both take any generated document.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws";

import {
  MessageAddedDocument,
  SendMessageDocument,
  UsageSummaryDocument,
  type MessageFieldsFragment,
  type SendMessageInput,
  type UsageSummaryQuery,
} from "./gql/graphql";

export class ParleyError extends Error {}

/** One query or mutation over HTTP: the result is typed by the document. */
export async function request<Result, Variables extends Record<string, unknown>>(
  url: string,
  token: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: { message: string }[] };
  if (body.errors?.length || body.data === undefined) {
    throw new ParleyError(body.errors?.map((error) => error.message).join("; ") ?? "no data");
  }
  return body.data;
}

/** Every result of a subscription, as an async iterator typed by the document. */
export async function* follow<Result, Variables extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): AsyncGenerator<Result> {
  for await (const result of client.iterate<Result>({ query: print(document), variables })) {
    if (result.errors?.length || !result.data) {
      throw new ParleyError(result.errors?.map((error) => error.message).join("; ") ?? "no data");
    }
    yield result.data;
  }
}

/** Send a message; an expected failure (a union member) becomes an exception naming its field. */
export async function sendMessage(
  url: string,
  token: string,
  input: SendMessageInput,
): Promise<MessageFieldsFragment> {
  const { sendMessage: result } = await request(url, token, SendMessageDocument, { input });
  if (result.__typename !== "SendMessagePayload") {
    // narrowed to the error members: each has code, message and field
    throw new ParleyError(`${result.code} ${result.field ?? ""}: ${result.message}`);
  }
  const cost: string | null = result.chatMessage.cost; // Decimal: an exact string
  const sentAt: Date = new Date(result.chatMessage.createdAt); // DateTime: ISO 8601
  console.log(`sent at ${sentAt.toISOString()}, cost ${cost ?? "not priced"} USD`);
  return result.chatMessage;
}

/** This month's cost per model (Decimal strings) and tokens (Long: numbers). */
export async function costPerModel(url: string, token: string): Promise<Map<string, string>> {
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const summary: UsageSummaryQuery = await request(url, token, UsageSummaryDocument, {
    period: { start: monthStart.toISOString(), end: now.toISOString() },
    groupBy: ["MODEL"],
  });
  const tokens: number = summary.usageSummary.total.totalTokens;
  console.log(`${tokens} tokens this month`);
  return new Map(summary.usageSummary.rows.map((row) => [row.model ?? "?", row.totals.costUsd]));
}

/** Print a conversation's new messages as they arrive. */
export async function watchConversation(wsUrl: string, token: string, conversationId: string) {
  const client = createClient({
    url: wsUrl,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  try {
    for await (const { messageAdded } of follow(client, MessageAddedDocument, { conversationId })) {
      console.log(`${messageAdded.role}: ${messageAdded.content}`, messageAdded.metadata);
    }
  } finally {
    await client.dispose();
  }
}
