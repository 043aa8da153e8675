"""Prometheus metrics (`GET /metrics`), correct under `parley serve --workers N`.

Every metric is defined here, once, and the rest of the code touches it in one line
(`metrics.EVENTS_PUBLISHED.labels("ok").inc()`, a `track_inprogress()` block, the
`RequestMetrics` extension in api/core/operation_metrics.py); this module imports neither
strawberry nor starlette, so services can count. `/metrics` is served by api/core/health.py.

Several workers: prometheus-client's multiprocess mode. When PROMETHEUS_MULTIPROC_DIR is set
before this process imported prometheus_client (`parley serve` sets it to a fresh directory
for more than one worker), every value lives in a per-process file there, and whichever
worker answers `/metrics` sums the files of all of them (`MultiProcessCollector`). Gauges
count only live processes (`livesum`); a worker that stops cleanly removes its gauge files
(`mark_worker_stopped`).

Label values chosen by clients (operation names) are bounded: a name that is not a plain
GraphQL name of at most 64 characters, or that comes after MAX_OPERATION_NAMES distinct
names in this process, is counted as OTHER.
"""

import os
import re
import time
from typing import Final

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# decided once, like prometheus_client decides where its values live
MULTIPROCESS: Final = "PROMETHEUS_MULTIPROC_DIR" in os.environ

ANONYMOUS: Final = "anonymous"
OTHER: Final = "other"
UNKNOWN: Final = "unknown"
MAX_OPERATION_NAMES: Final = 200
MAX_OUTCOMES: Final = 50


class BoundedLabel:
    """Label values for one label: a value matching `pattern` is kept, up to `cap`
    distinct values in this process; anything else becomes OTHER."""

    def __init__(self, pattern: str, cap: int) -> None:
        self._pattern = re.compile(pattern)
        self._cap = cap
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) >= self._cap or not self._pattern.fullmatch(value):
            return OTHER
        self._seen.add(value)
        return value


operation_name_label = BoundedLabel(r"[_A-Za-z][_0-9A-Za-z]{0,63}", MAX_OPERATION_NAMES)
# error codes are ours (extensions.code), but bounded all the same
outcome_label = BoundedLabel(r"[A-Z][A-Z0-9_]{0,63}", MAX_OUTCOMES)

GRAPHQL_REQUESTS: Final = Counter(
    "parley_graphql_requests",
    "GraphQL operations run, over HTTP and WebSocket, by operation name and type and by "
    "outcome (ok, or the first error's code).",
    ["operation_name", "operation_type", "outcome"],
)
GRAPHQL_REQUEST_DURATION: Final = Histogram(
    "parley_graphql_request_duration_seconds",
    "Time to answer a query or mutation (parse, validate, execute); subscriptions are not "
    "timed (they last as long as the client wants).",
    ["operation_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_RESPONSES: Final = Counter(
    "parley_http_responses",
    "HTTP responses by route and status, refusals before GraphQL included (413 body too "
    "large, 400 bad body, 405 …); `route` is one of Parley's routes or `other`.",
    ["route", "status"],
)
OPEN_WEBSOCKETS: Final = Gauge(
    "parley_open_websockets",
    "GraphQL WebSockets open now (accepted, not yet closed).",
    multiprocess_mode="livesum",
)
ACTIVE_SUBSCRIPTIONS: Final = Gauge(
    "parley_active_subscriptions",
    "Subscriptions following live events now.",
    multiprocess_mode="livesum",
)
EVENTS_PUBLISHED: Final = Counter(
    "parley_events_published",
    "Wake-ups published to the broadcast after a commit, by outcome (ok, or failed: the "
    "broker did not take it; subscribers catch up from the database).",
    ["outcome"],
)
for _outcome in ("ok", "failed"):
    EVENTS_PUBLISHED.labels(_outcome)  # both series exist from the start, at 0
EVENTS_DELIVERED: Final = Counter(
    "parley_events_delivered",
    "Items sent to subscribers (one per subscriber per item).",
)
USAGE_EVENTS_RECORDED: Final = Counter(
    "parley_usage_events_recorded",
    "AI usage events recorded (recordAiUsage, its batch, sendMessage's usage); a repeated "
    "requestId is not counted again.",
)
WORKER_STARTED: Final = Gauge(
    "parley_worker_start_time_seconds",
    "When each live worker process started serving (Unix time; one series per process "
    "under --workers N).",
    multiprocess_mode="liveall",
)


def worker_started() -> None:
    WORKER_STARTED.set(time.time())


def mark_worker_stopped() -> None:
    """A worker's gauges stop counting when it stops (multiprocess mode only)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())


def exposition() -> bytes:
    """The metrics of this process, or of every worker's process in multiprocess mode."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)
