// Apollo Client 4 against Parley: the inbox page, then sendMessage, then a request error.
//
//   PARLEY_API_KEY=pk_… node reference/apollo_inbox.mjs http://127.0.0.1:8000/graphql "Hi!"
//
// Prints three lines, each a label and JSON:
//   inbox {"conversations": [...]}   the inbox query (conversations with their contact,
//                                    last message and assignee, most recent first)
//   sent  {"__typename": ..., ...}   sendMessage's result (to the most recent conversation),
//                                    then that conversation as Apollo's cache now holds it
//   invalid {"messages": [...]}      a query with an unknown field: Parley answers 400
//                                    (application/graphql-response+json, which Apollo asks
//                                    for), Apollo reports the GraphQL errors
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";

const [url, text] = process.argv.slice(2);
const apiKey = process.env.PARLEY_API_KEY;
if (!url || !text || !apiKey) {
  console.error('usage: PARLEY_API_KEY=… node reference/apollo_inbox.mjs <graphql-url> "<text>"');
  process.exit(2);
}

const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${apiKey}` } }),
  cache: new InMemoryCache(),
});

const INBOX = gql`
  query Inbox($first: Int!) {
    conversations(first: $first) {
      edges {
        node {
          id
          title
          status
          messageCount
          contact { id name }
          assignee { id name }
          lastMessage { id seq role content }
        }
      }
    }
  }
`;

const SEND_MESSAGE = gql`
  mutation SendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      __typename
      ... on SendMessagePayload {
        chatMessage { id seq role content }
        conversation { id messageCount lastMessage { id seq role content } }
      }
      ... on ValidationError { code field message }
      ... on NotFoundError { code field message }
    }
  }
`;

const { data: inbox } = await client.query({ query: INBOX, variables: { first: 20 } });
const conversations = inbox.conversations.edges.map((edge) => edge.node);
console.log(`inbox ${JSON.stringify({ conversations })}`);

const [latest] = conversations;
const { data: sent } = await client.mutate({
  mutation: SEND_MESSAGE,
  variables: { input: { conversationId: latest.id, role: "AGENT", content: text } },
});
// the mutation's conversation is normalised by id: the inbox query, read again from the
// cache without a request, shows the new last message
const cached = client.readQuery({ query: INBOX, variables: { first: 20 } });
const cachedLatest = cached.conversations.edges.map((edge) => edge.node).find((c) => c.id === latest.id);
console.log(`sent ${JSON.stringify({ result: sent.sendMessage, cached: cachedLatest })}`);

try {
  await client.query({ query: gql`query Invalid { noSuchField }` });
  console.error("an invalid query was answered without errors");
  process.exit(1);
} catch (error) {
  if (!CombinedGraphQLErrors.is(error)) throw error;
  console.log(`invalid ${JSON.stringify({ messages: error.errors.map((e) => e.message) })}`);
}
