// The graphql-ws client (graphql-transport-ws protocol) subscribing to messageAdded.
//
//   PARLEY_API_KEY=pk_… node reference/graphql_ws_subscribe.mjs \
//     ws://127.0.0.1:8000/graphql <conversation id> [<after cursor>] [<count>]
//
// Prints `subscribed` once the server has acknowledged the connection and the subscribe
// message is sent, then `message {json}` for each new message, and exits after <count>
// messages (default 1). With <after> (the cursor of the last message you have) the server
// sends every message after it, even one sent before the subscription reached the server:
// nothing is lost between "subscribed" and the first live event.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, conversationId, after, count = "1"] = process.argv.slice(2);
const apiKey = process.env.PARLEY_API_KEY;
if (!url || !conversationId || !apiKey) {
  console.error("usage: PARLEY_API_KEY=… node reference/graphql_ws_subscribe.mjs <ws-url> <conversation id> [after] [count]");
  process.exit(2);
}

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${apiKey}` },
  retryAttempts: 0, // a test wants the failure, not a reconnect loop
});

const MESSAGE_ADDED = `
  subscription MessageAdded($conversationId: ID!, $after: String) {
    messageAdded(conversationId: $conversationId, after: $after) { id seq cursor role content }
  }
`;

// the subscribe message is sent right after connection_ack, in the same tick as `connected`
client.on("connected", () => console.log("subscribed"));

const wanted = Number(count);
let received = 0;
const messages = client.iterate({
  query: MESSAGE_ADDED,
  variables: { conversationId, after: after ?? null },
});
for await (const result of messages) {
  if (result.errors) {
    console.error(`errors ${JSON.stringify(result.errors)}`);
    process.exit(1);
  }
  console.log(`message ${JSON.stringify(result.data.messageAdded)}`);
  received += 1;
  if (received >= wanted) break; // ends the subscription (sends complete)
}
await client.dispose();
