"""The two media types of GraphQL over HTTP, negotiated from the request's Accept header.

- `application/graphql-response+json` (asked for by name, e.g. Apollo Client's
  `application/graphql-response+json,application/json;q=0.9`): the status code means
  something. A *request error* (the document does not parse, fails validation, Parley's
  limits included, or its variables do not coerce: nothing ran) is answered with status
  400 and no `data` entry; 500 if what failed before execution was ours (masked as
  INTERNAL_SERVER_ERROR). Whatever executed is a 200 with `data` (null when a non-null
  field failed), as in the spec's "Response" section.
- `application/json` (no Accept, `*/*`, `application/json`, anything else): every GraphQL
  response is a 200 with `data`, as legacy clients expect (the spec's watershed rule).

The HTTP layer's own refusals (a body that is not JSON, 413, a subscription over POST …,
`api.core.http_input.graphql_error_response`) keep their 4xx under both media types.
"""

from strawberry.http import GraphQLHTTPResponse

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# what the Content-Type header says for each (Parley's JSON is always UTF-8)
CONTENT_TYPES = {GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8", JSON: JSON}


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` if the client names it with a quality at least
    that of `application/json` (or of the wildcard covering it); else `application/json`.
    Wildcards alone (`*/*`, `application/*`) get `application/json`, as the spec asks."""
    qualities = _accepted_qualities(accept or "")
    graphql_response_q = qualities.get(GRAPHQL_RESPONSE_JSON, 0.0)
    # application/json's quality comes from the most specific range that covers it
    json_q = next(
        (
            qualities[media_range]
            for media_range in (JSON, "application/*", "*/*")
            if media_range in qualities
        ),
        0.0,
    )
    if graphql_response_q > 0 and graphql_response_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    return JSON


def _accepted_qualities(accept: str) -> dict[str, float]:
    """Media range -> q from an Accept header (`type/sub;param=…;q=0.5, …`), lower-cased;
    an unreadable q counts as 0 (not acceptable)."""
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value.strip())
        if media_range:
            qualities[media_range.lower()] = quality
    return qualities


def _quality(value: str) -> float:
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def request_error_status(body: GraphQLHTTPResponse) -> int | None:
    """The status of a GraphQL response body that is a request error (`data` is null and
    no error has a `path`: every error was found before any field ran), else None."""
    errors = [error for error in body.get("errors") or [] if isinstance(error, dict)]
    if body.get("data") is not None or not errors:
        return None
    if any("path" in error for error in errors):
        return None  # it executed: a field failed and nulled the data
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    return 500 if "INTERNAL_SERVER_ERROR" in codes else 400


def shape_for(
    content_type: str, body: GraphQLHTTPResponse
) -> tuple[GraphQLHTTPResponse, int | None]:
    """The body to send under `content_type` and its status (None: strawberry's 200). Only
    `application/graphql-response+json` answers a request error with 400 and no `data`."""
    if not content_type.startswith(GRAPHQL_RESPONSE_JSON):
        return body, None
    status = request_error_status(body)
    if status is None:
        return body, None
    without_data = body.copy()
    del without_data["data"]
    return without_data, status
