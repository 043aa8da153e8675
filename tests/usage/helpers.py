"""GraphQL documents and small helpers of the usage tests."""

from decimal import Decimal
from typing import Any

import models
from tests.graphql import GraphQLClient

HAIKU_3 = "claude-3-haiku-20240307"  # $0.25 in, $1.25 out, $0.03 read, $0.30 write per MTok
SEA_LION = "gemma-sea-lion-v4-27b-it"  # self-hosted: $0

USAGE_FIELDS = """
  id model modelId priced operation aiType uncachedInputTokens cacheReadTokens
  cacheWriteTokens cacheWrite1hTokens outputTokens reasoningTokens totalTokens
  inputTokensIncludeCache outputTokensIncludeReasoning priceTierAboveTokens overBudget
  costUsd cacheHitRate latencyMs requestId occurredAt reservationId
  priceVersion { id effectiveFrom inputPerMtok workspaceOverride }
"""

RECORD = (
    """
mutation Record($input: RecordAiUsageInput!) {
  recordAiUsage(input: $input) {
    __typename
    ... on RecordAiUsagePayload { created unpricedReason suggestedModels usage {"""
    + USAGE_FIELDS
    + """} }
    ... on Error { code field message }
  }
}
"""
)

RECORD_BATCH = """
mutation Batch($input: RecordAiUsageBatchInput!) {
  recordAiUsageBatch(input: $input) {
    __typename
    ... on RecordAiUsageBatchPayload {
      recorded failed
      results {
        __typename
        ... on RecordAiUsagePayload { created usage { id requestId costUsd } }
        ... on Error { code field }
      }
    }
    ... on Error { code field message }
  }
}
"""

RESERVE = """
mutation Reserve($input: ReserveAiBudgetInput!) {
  reserveAiBudget(input: $input) {
    __typename
    ... on ReserveAiBudgetPayload { reservation { id modelId amountUsd status expiresAt } }
    ... on Error { code field message }
  }
}
"""

RELEASE = """
mutation Release($input: ReleaseAiBudgetInput!) {
  releaseAiBudget(input: $input) {
    __typename
    ... on ReleaseAiBudgetPayload { reservation { id status } }
    ... on Error { code field message }
  }
}
"""

SET_BUDGET = """
mutation SetBudget($input: SetAiBudgetInput!) {
  setAiBudget(input: $input) {
    __typename
    ... on SetAiBudgetPayload { budget { limitUsd mode spentUsd reservedUsd remainingUsd } }
    ... on Error { code field message }
  }
}
"""

BUDGET = """
query { aiBudget { limitUsd mode spentUsd reservedUsd remainingUsd periodStart periodEnd } }
"""


def haiku_call(**overrides: Any) -> dict[str, Any]:
    """The example call: 5000 input tokens of which 4000 are cache reads, 500 output,
    reported OpenAI style (input includes the cache reads)."""
    return {
        "model": HAIKU_3,
        "operation": "reply",
        "aiType": "MOUTH",
        "inputTokens": 5000,
        "cacheReadTokens": 4000,
        "outputTokens": 500,
        "inputTokensIncludeCache": True,
        **overrides,
    }


async def record(client: GraphQLClient, **values: Any) -> dict[str, Any]:
    data = await client.data(RECORD, {"input": values})
    result: dict[str, Any] = data["recordAiUsage"]
    return result


def money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def usage_rows(workspace_id: Any) -> list[models.AiUsageEvent]:
    return await models.AiUsageEvent.filter(workspace_id=workspace_id).order_by("occurred_at")
