from datetime import datetime
from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .enums import InboxEventType
from .fragments import ConversationSummary, MessageFields
from .parley_client_scalars import parse_datetime


class InboxEvents(BaseModel):
    inbox_events: "InboxEventsInboxEvents" = Field(alias="inboxEvents")


class InboxEventsInboxEvents(BaseModel):
    cursor: str
    type_: InboxEventType = Field(alias="type")
    occurred_at: Annotated[datetime, BeforeValidator(parse_datetime)] = Field(
        alias="occurredAt"
    )
    conversation: Optional["InboxEventsInboxEventsConversation"]
    message: Optional["InboxEventsInboxEventsMessage"]


InboxEventsInboxEventsConversation = ConversationSummary
InboxEventsInboxEventsMessage = MessageFields
InboxEvents.model_rebuild()
InboxEventsInboxEvents.model_rebuild()
