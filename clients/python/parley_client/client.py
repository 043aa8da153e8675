from collections.abc import AsyncIterator
from typing import Any, Optional, Union

from .ai_budget import AiBudget
from .assign_conversation import AssignConversation
from .async_base_client import AsyncBaseClient
from .base_model import UNSET, UnsetType
from .conversation_messages import ConversationMessages
from .current_usage import CurrentUsage
from .enums import UsageDimension
from .handoff_conversation import HandoffConversation
from .inbox_conversations import InboxConversations
from .inbox_events import InboxEvents
from .input_types import (
    AssignConversationInput,
    ConversationFilter,
    DateRangeInput,
    HandoffConversationInput,
    InboxEventFilter,
    LoginInput,
    RecordAiUsageInput,
    SendMessageInput,
    SetConversationStatusInput,
)
from .login import Login
from .message_added import MessageAdded
from .record_ai_usage import RecordAiUsage
from .send_message import SendMessage
from .set_conversation_status import SetConversationStatus
from .usage_summary import UsageSummary
from .usage_updated import UsageUpdated
from .viewer import Viewer


def gql(q: str) -> str:
    return q


class ParleyClient(AsyncBaseClient):
    async def login(self, input: LoginInput, **kwargs: Any) -> Login:
        query = gql("""
            mutation Login($input: LoginInput!) {
              login(input: $input) {
                __typename
                ... on LoginPayload {
                  token
                  expiresAt
                  user {
                    id
                    name
                    email
                  }
                  workspace {
                    id
                    name
                  }
                }
                ... on RateLimitedError {
                  retryAfterSeconds
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="Login", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Login.model_validate(data)

    async def viewer(self, **kwargs: Any) -> Viewer:
        query = gql("""
            query Viewer {
              viewer {
                role
                user {
                  id
                  name
                  email
                }
                workspace {
                  id
                  name
                }
              }
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="Viewer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Viewer.model_validate(data)

    async def inbox_conversations(
        self,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        where: Union[Optional[ConversationFilter], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> InboxConversations:
        query = gql("""
            query InboxConversations($first: Int, $after: String, $where: ConversationFilter) {
              conversations(first: $first, after: $after, filter: $where) {
                pageInfo {
                  hasNextPage
                  endCursor
                }
                edges {
                  cursor
                  node {
                    ...ConversationSummary
                  }
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"first": first, "after": after, "where": where}
        response = await self.execute(
            query=query,
            operation_name="InboxConversations",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return InboxConversations.model_validate(data)

    async def conversation_messages(
        self,
        id: str,
        last: Union[Optional[int], UnsetType] = UNSET,
        before: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ConversationMessages:
        query = gql("""
            query ConversationMessages($id: ID!, $last: Int, $before: String) {
              conversation(id: $id) {
                ...ConversationSummary
                messages(last: $last, before: $before) {
                  pageInfo {
                    hasPreviousPage
                    startCursor
                  }
                  edges {
                    cursor
                    node {
                      ...MessageFields
                    }
                  }
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "last": last, "before": before}
        response = await self.execute(
            query=query,
            operation_name="ConversationMessages",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return ConversationMessages.model_validate(data)

    async def send_message(self, input: SendMessageInput, **kwargs: Any) -> SendMessage:
        query = gql("""
            mutation SendMessage($input: SendMessageInput!) {
              sendMessage(input: $input) {
                __typename
                ... on SendMessagePayload {
                  chatMessage {
                    ...MessageFields
                  }
                  conversation {
                    ...ConversationSummary
                  }
                  usage {
                    id
                    costUsd
                  }
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="SendMessage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return SendMessage.model_validate(data)

    async def assign_conversation(
        self, input: AssignConversationInput, **kwargs: Any
    ) -> AssignConversation:
        query = gql("""
            mutation AssignConversation($input: AssignConversationInput!) {
              assignConversation(input: $input) {
                __typename
                ... on AssignConversationPayload {
                  conversation {
                    ...ConversationSummary
                  }
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="AssignConversation",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return AssignConversation.model_validate(data)

    async def handoff_conversation(
        self, input: HandoffConversationInput, **kwargs: Any
    ) -> HandoffConversation:
        query = gql("""
            mutation HandoffConversation($input: HandoffConversationInput!) {
              handoffConversation(input: $input) {
                __typename
                ... on HandoffConversationPayload {
                  conversation {
                    ...ConversationSummary
                  }
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="HandoffConversation",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return HandoffConversation.model_validate(data)

    async def set_conversation_status(
        self, input: SetConversationStatusInput, **kwargs: Any
    ) -> SetConversationStatus:
        query = gql("""
            mutation SetConversationStatus($input: SetConversationStatusInput!) {
              setConversationStatus(input: $input) {
                __typename
                ... on SetConversationStatusPayload {
                  conversation {
                    ...ConversationSummary
                  }
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query,
            operation_name="SetConversationStatus",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return SetConversationStatus.model_validate(data)

    async def message_added(
        self,
        conversation_id: str,
        after: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> AsyncIterator[MessageAdded]:
        query = gql("""
            subscription MessageAdded($conversationId: ID!, $after: String) {
              messageAdded(conversationId: $conversationId, after: $after) {
                ...MessageFields
              }
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {
            "conversationId": conversation_id,
            "after": after,
        }
        async for data in self.execute_ws(
            query=query, operation_name="MessageAdded", variables=variables, **kwargs
        ):
            yield MessageAdded.model_validate(data)

    async def inbox_events(
        self,
        after: Union[Optional[str], UnsetType] = UNSET,
        where: Union[Optional[InboxEventFilter], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> AsyncIterator[InboxEvents]:
        query = gql("""
            subscription InboxEvents($after: String, $where: InboxEventFilter) {
              inboxEvents(after: $after, filter: $where) {
                cursor
                type
                occurredAt
                conversation {
                  ...ConversationSummary
                }
                message {
                  ...MessageFields
                }
              }
            }

            fragment ConversationSummary on Conversation {
              id
              channel
              status
              priority
              aiState
              title
              labels
              messageCount
              lastMessageAt
              waitingSince
              handoffReason
              totalTokens
              totalCost
              contact {
                id
                name
                leadStatus
                leadTemperature
              }
              assignee {
                id
                name
              }
              lastMessage {
                ...MessageFields
              }
            }

            fragment MessageFields on ChatMessage {
              id
              cursor
              role
              content
              model
              cost
              responseTimeMs
              metadata
              createdAt
              author {
                id
                name
              }
            }
            """)
        variables: dict[str, object] = {"after": after, "where": where}
        async for data in self.execute_ws(
            query=query, operation_name="InboxEvents", variables=variables, **kwargs
        ):
            yield InboxEvents.model_validate(data)

    async def usage_updated(
        self, after: Union[Optional[str], UnsetType] = UNSET, **kwargs: Any
    ) -> AsyncIterator[UsageUpdated]:
        query = gql("""
            subscription UsageUpdated($after: String) {
              usageUpdated(after: $after) {
                ...UsageTotalsFields
                cursor
                periodStart
                budgetUsedPercent
              }
            }

            fragment UsageTotalsFields on UsageTotals {
              requests
              unpricedRequests
              inputTokens
              outputTokens
              reasoningTokens
              cacheReadTokens
              cacheWriteTokens
              totalTokens
              costUsd
              cacheHitRate
              avgLatencyMs
            }
            """)
        variables: dict[str, object] = {"after": after}
        async for data in self.execute_ws(
            query=query, operation_name="UsageUpdated", variables=variables, **kwargs
        ):
            yield UsageUpdated.model_validate(data)

    async def record_ai_usage(
        self, input: RecordAiUsageInput, **kwargs: Any
    ) -> RecordAiUsage:
        query = gql("""
            mutation RecordAiUsage($input: RecordAiUsageInput!) {
              recordAiUsage(input: $input) {
                __typename
                ... on RecordAiUsagePayload {
                  created
                  unpricedReason
                  suggestedModels
                  usage {
                    id
                    modelId
                    priced
                    totalTokens
                    costUsd
                    occurredAt
                  }
                }
                ... on Error {
                  ...ErrorFields
                }
              }
            }

            fragment ErrorFields on Error {
              message
              code
              field
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = await self.execute(
            query=query, operation_name="RecordAiUsage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return RecordAiUsage.model_validate(data)

    async def usage_summary(
        self,
        period: DateRangeInput,
        group_by: Union[Optional[list[UsageDimension]], UnsetType] = UNSET,
        top: Union[Optional[int], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> UsageSummary:
        query = gql("""
            query UsageSummary($period: DateRangeInput!, $groupBy: [UsageDimension!], $top: Int) {
              usageSummary(period: $period, groupBy: $groupBy, top: $top) {
                total {
                  ...UsageTotalsFields
                }
                rows {
                  day
                  week
                  month
                  model
                  provider
                  operation
                  aiType
                  aiState
                  conversationId
                  totals {
                    ...UsageTotalsFields
                  }
                }
              }
            }

            fragment UsageTotalsFields on UsageTotals {
              requests
              unpricedRequests
              inputTokens
              outputTokens
              reasoningTokens
              cacheReadTokens
              cacheWriteTokens
              totalTokens
              costUsd
              cacheHitRate
              avgLatencyMs
            }
            """)
        variables: dict[str, object] = {
            "period": period,
            "groupBy": group_by,
            "top": top,
        }
        response = await self.execute(
            query=query, operation_name="UsageSummary", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return UsageSummary.model_validate(data)

    async def ai_budget(self, **kwargs: Any) -> AiBudget:
        query = gql("""
            query AiBudget {
              aiBudget {
                limitUsd
                mode
                spentUsd
                reservedUsd
                remainingUsd
                periodStart
                periodEnd
              }
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="AiBudget", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return AiBudget.model_validate(data)

    async def current_usage(self, **kwargs: Any) -> CurrentUsage:
        query = gql("""
            query CurrentUsage {
              currentUsage {
                ...UsageTotalsFields
                cursor
                periodStart
                budgetUsedPercent
              }
            }

            fragment UsageTotalsFields on UsageTotals {
              requests
              unpricedRequests
              inputTokens
              outputTokens
              reasoningTokens
              cacheReadTokens
              cacheWriteTokens
              totalTokens
              costUsd
              cacheHitRate
              avgLatencyMs
            }
            """)
        variables: dict[str, object] = {}
        response = await self.execute(
            query=query, operation_name="CurrentUsage", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CurrentUsage.model_validate(data)
