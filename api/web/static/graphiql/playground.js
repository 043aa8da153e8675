// Parley's GraphQL playground: GraphiQL with a fetcher that POSTs queries and mutations to
// this page's URL (/graphql) and runs subscriptions over graphql-transport-ws on the same
// host. api/web/templates/graphiql.html loads it after the vendored globals React, ReactDOM,
// GraphiQL and graphqlWs.
//
// The editors can be filled from the URL's fragment, e.g.
//   /graphql#query={viewer{role}}&headers={"Authorization":"Bearer pk_…"}
// (a fragment, not a query string: `GET /graphql?query=…` executes the query, and a
// fragment never reaches the server or its logs).
(function () {
  "use strict";

  // a JSON object the user completes with a key or a session token
  const DEFAULT_HEADERS = JSON.stringify({ Authorization: "Bearer " }, null, 2);

  const DEFAULT_QUERY = `# Parley's GraphQL playground.
#
# 1. In the Headers tab below, complete "Bearer " with a credential:
#    - an API key: ./scripts/serve prints one for the demo workspace, and
#      \`parley apikey create --workspace <id> --name <what for>\` makes one;
#    - or a session token: the login mutation returns one, e.g.
#      mutation { login(input: {email: "…", password: "…"}) {
#        ... on LoginPayload { token } } }
# 2. Run with the ▶ button or Ctrl-Enter.
#
# Subscriptions work here too (over WebSocket, with the same Authorization),
# e.g. subscription { messageAdded(conversationId: "…") { role content } }

query Viewer {
  viewer {
    role
    workspace {
      name
    }
  }
}
`;

  // close codes after which retrying with the same credentials cannot help
  const REFUSALS = {
    4400: "the server could not read a message of the connection",
    4401: "the connection was not initialised",
    4403: "the Authorization header's key or token is missing, wrong, revoked or expired",
    4429: "too many connection_init messages",
  };

  const endpoint = window.location.origin + window.location.pathname;

  function websocketEndpoint() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + window.location.pathname;
  }

  // --- queries and mutations: HTTP POST ---

  async function postOperation(params, headers) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json;q=0.9",
        ...headers,
      },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw readableError(
        `The server answered ${response.status} ${response.statusText} with a body that ` +
          `is not JSON: ${text.slice(0, 200)}`,
        "NOT_JSON",
      );
    }
  }

  // --- subscriptions: graphql-transport-ws, one client per Authorization value ---

  const clientsByAuthorization = new Map();

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === "authorization" && typeof value === "string") {
        return value.trim();
      }
    }
    return "";
  }

  function isRefusal(event) {
    return Boolean(event) && typeof event.code === "number" && event.code in REFUSALS;
  }

  function clientFor(authorization) {
    let client = clientsByAuthorization.get(authorization);
    if (client === undefined) {
      client = graphqlWs.createClient({
        url: websocketEndpoint(),
        connectionParams: authorization ? { authorization } : {},
        // lazy (the default): connects on the first subscription and closes after the
        // last; a dropped connection is retried with backoff (graphql-ws's default
        // attempts) and its subscriptions resubscribed, a refusal is not retried
        shouldRetry: (event) => !isRefusal(event),
      });
      clientsByAuthorization.set(authorization, client);
    }
    return client;
  }

  // an error GraphiQL shows as `{"errors": [{"message": …}]}` (an Error would add its stack)
  function readableError(message, code) {
    return { message, extensions: { code } };
  }

  function subscriptionFailure(reason) {
    if (Array.isArray(reason)) {
      return reason; // GraphQL errors from the server's `error` message
    }
    if (reason && typeof reason.code === "number") {
      const why = REFUSALS[reason.code] || "the connection closed";
      const detail = reason.reason ? ` (${reason.code} ${reason.reason})` : ` (${reason.code})`;
      return readableError(`Subscription ended: ${why}${detail}.`, "WEBSOCKET_CLOSED");
    }
    if (reason instanceof Error) {
      return readableError(`Subscription failed: ${reason.message}`, "WEBSOCKET_ERROR");
    }
    return readableError(
      "Subscription failed: could not connect to the server's WebSocket.",
      "WEBSOCKET_ERROR",
    );
  }

  // an Observable, as GraphiQL runs them: each event replaces the result pane
  function subscriptionOver(client, params) {
    return {
      subscribe(observerOrNext, onError, onComplete) {
        const observer =
          typeof observerOrNext === "function"
            ? { next: observerOrNext, error: onError, complete: onComplete }
            : observerOrNext;
        const unsubscribe = client.subscribe(params, {
          next: (result) => observer.next(result),
          error: (reason) => observer.error(subscriptionFailure(reason)),
          complete: () => observer.complete(),
        });
        return { unsubscribe };
      },
    };
  }

  // GraphiQL works out the operation name and the parsed document a moment after an edit,
  // so a run right after a paste can carry the previous document's name: the operation is
  // taken from the text that is sent instead
  function chosenOperation(params) {
    let document;
    try {
      document = GraphiQL.GraphQL.parse(params.query);
    } catch {
      return { params, operation: undefined }; // the server reports the syntax error
    }
    const operations = document.definitions.filter(
      (definition) => definition.kind === "OperationDefinition",
    );
    const named = operations.find(
      (operation) => operation.name && operation.name.value === params.operationName,
    );
    if (named || operations.length !== 1) {
      return { params, operation: named };
    }
    const [only] = operations;
    return {
      params: { ...params, operationName: only.name ? only.name.value : undefined },
      operation: only,
    };
  }

  function fetcher(graphQLParams, options) {
    const headers = (options && options.headers) || {};
    const { params, operation } = chosenOperation(graphQLParams);
    if (operation && operation.operation === "subscription") {
      return subscriptionOver(clientFor(authorizationOf(headers)), params);
    }
    return postOperation(params, headers);
  }

  // --- the page ---

  function editorsFromFragment() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const editors = {};
    for (const name of ["query", "variables", "headers"]) {
      if (fragment.has(name)) {
        editors[name] = fragment.get(name);
      }
    }
    return editors;
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // a credential stays out of localStorage unless the user ticks the setting
      shouldPersistHeaders: false,
      ...editorsFromFragment(),
    }),
  );
})();
