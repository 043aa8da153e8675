// Talking to Parley: queries and mutations over HTTP, subscriptions over the vendored
// graphql-ws client (global `graphqlWs`, /static/vendor/graphql-ws.min.js).

const HTTP_URL = "/graphql";
const WS_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;

// close codes after which retrying cannot help: the credentials were refused
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406]);

/** A failure to show the user: top-level GraphQL errors or an HTTP/network failure. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Readable text of top-level GraphQL errors (with their codes). */
export function describeErrors(errors) {
  return errors
    .map((error) => {
      const code = error.extensions && error.extensions.code;
      return code ? `${error.message} (${code})` : error.message;
    })
    .join("; ");
}

function firstCode(errors) {
  const withCode = errors.find((error) => error.extensions && error.extensions.code);
  return withCode ? withCode.extensions.code : undefined;
}

/** Run a query or mutation; resolves to `data`, rejects with an ApiError. */
export async function request(token, query, variables = {}) {
  let response;
  try {
    response = await fetch(HTTP_URL, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (failure) {
    throw new ApiError(`Parley cannot be reached: ${failure.message}`, "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Parley answered ${response.status} without a GraphQL body`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    throw new ApiError(describeErrors(body.errors), firstCode(body.errors));
  }
  return body.data;
}

/** A mutation result union's error member as text, or null for a payload. */
export function resultError(result) {
  if (result && typeof result.code === "string" && typeof result.message === "string") {
    return result.field ? `${result.message} (${result.field})` : result.message;
  }
  return null;
}

/**
 * The WebSocket client. graphql-ws reconnects by itself and then sends every active
 * subscription's payload again, serialised afresh: a `live()` subscription keeps
 * `variables.after` at the last cursor it has seen, so a resubscription resumes from there.
 */
export function connect(token, { onState, onFatal }) {
  let everConnected = false;
  const client = graphqlWs.createClient({
    url: WS_URL,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: Infinity,
    // never give up on a network drop; an auth refusal is final
    shouldRetry: (closeEvent) => !(closeEvent && FATAL_CLOSE_CODES.has(closeEvent.code)),
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 8000))),
    on: {
      connecting: () => onState(everConnected ? "reconnecting" : "connecting"),
      connected: (_socket, _payload, wasRetry) => {
        everConnected = true;
        onState(wasRetry ? "reconnected" : "connected");
      },
      closed: (closeEvent) => {
        if (closeEvent && FATAL_CLOSE_CODES.has(closeEvent.code)) {
          onFatal(closeEvent.reason || "The live connection was refused.");
        } else {
          onState("reconnecting");
        }
      },
    },
  });
  return client;
}

/**
 * Subscribe `query` with `variables`; `onItem(data)` gets each result. `cursorOf(data)` is
 * the cursor an item leaves the stream at: it becomes `after` for any resubscription.
 * Returns a function that ends the subscription.
 */
export function live(client, query, variables, { onItem, cursorOf, onError }) {
  const payload = { query, variables: { ...variables } };
  return client.subscribe(payload, {
    next(result) {
      if (result.errors && result.errors.length) {
        onError(new ApiError(describeErrors(result.errors), firstCode(result.errors)));
        return;
      }
      if (!result.data) return;
      const cursor = cursorOf(result.data);
      if (cursor) payload.variables.after = cursor;
      onItem(result.data);
    },
    error(failure) {
      if (Array.isArray(failure)) {
        onError(new ApiError(describeErrors(failure), firstCode(failure)));
      } else if (failure && typeof failure.code === "number") {
        // a CloseEvent: the socket was refused; connect()'s onFatal says so
      } else {
        onError(new ApiError(String((failure && failure.message) || failure), "LIVE"));
      }
    },
    complete() {},
  });
}
