"""A usage report as a caller sends it (one LLM call), and checking it.

`check_report` validates the text, bounds the token counts and normalises them to one
convention (api/usage/pricing.py), and fixes the time the call happened; recording
(api/usage/recording.py) and sendMessage's metered usage both start from its result.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from api.core.errors import BadInput
from api.core.validation import matching_text, utc_time
from api.usage.pricing import TokenCounts, normalize_tokens

MAX_FUTURE_SKEW = timedelta(minutes=5)
OPERATION_PATTERN = re.compile(r"^[\w][\w .:/-]{0,63}$")
AI_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


@dataclass(frozen=True)
class UsageReport:
    """One LLM call as a bot worker reports it (token counts in either convention)."""

    model: str
    operation: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    input_tokens_include_cache: bool = False
    reasoning_tokens: int = 0
    output_tokens_include_reasoning: bool = True
    ai_type: str | None = None
    latency_ms: int | None = None
    request_id: str | None = None
    occurred_at: datetime | None = None
    conversation_id: UUID | None = None
    message_id: UUID | None = None
    contact_id: UUID | None = None
    user_id: UUID | None = None
    reservation_id: UUID | None = None


@dataclass(frozen=True)
class CheckedReport:
    """A validated report: tokens by kind, cleaned text, the time it happened."""

    report: UsageReport
    model: str
    operation: str
    ai_type: str
    tokens: TokenCounts
    request_id: str | None
    occurred_at: datetime


def check_report(report: UsageReport, *, now: datetime | None = None) -> CheckedReport:
    """Validate a report; BadInput names the camelCase field at fault."""
    now = now or datetime.now(UTC)
    model = (report.model or "").strip()
    if not model or len(model) > 200:
        raise BadInput("model must name the LLM (1–200 characters).", field="model")
    operation = matching_text(
        report.operation,
        field="operation",
        pattern=OPERATION_PATTERN,
        what="1–64 letters, digits or ' .:/-_' (e.g. reply, lead_scoring)",
    )
    ai_type = ""
    if report.ai_type is not None:
        ai_type = matching_text(
            report.ai_type,
            field="aiType",
            pattern=AI_TYPE_PATTERN,
            what="1–32 letters, digits or '_' (e.g. MOUTH, BRAIN)",
        ).upper()
    tokens = normalize_tokens(
        input_tokens=report.input_tokens,
        output_tokens=report.output_tokens,
        cache_read_tokens=report.cache_read_tokens,
        cache_write_tokens=report.cache_write_tokens,
        input_tokens_include_cache=report.input_tokens_include_cache,
        reasoning_tokens=report.reasoning_tokens,
        output_tokens_include_reasoning=report.output_tokens_include_reasoning,
    )
    if report.cache_write_1h_tokens < 0 or report.cache_write_1h_tokens > tokens.cache_write:
        raise BadInput(
            "cacheWrite1hTokens must be between 0 and cacheWriteTokens (1-hour cache writes "
            "are a part of all cache writes).",
            field="cacheWrite1hTokens",
        )
    if report.latency_ms is not None and report.latency_ms < 0:
        raise BadInput("latencyMs must not be negative.", field="latencyMs")
    request_id = None
    if report.request_id is not None:
        request_id = report.request_id.strip()
        if not request_id or len(request_id) > 200:
            raise BadInput("requestId must be 1–200 characters.", field="requestId")
    occurred_at = utc_time(report.occurred_at, field="occurredAt") or now
    if occurred_at > now + MAX_FUTURE_SKEW:
        raise BadInput("occurredAt is in the future.", field="occurredAt")
    return CheckedReport(
        report=report,
        model=model,
        operation=operation,
        ai_type=ai_type,
        tokens=tokens,
        request_id=request_id,
        occurred_at=occurred_at,
    )
