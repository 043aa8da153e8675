from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import (  # noqa: F401
    ConversationSummary,
    ConversationSummaryAssignee,
    ConversationSummaryContact,
    ConversationSummaryLastMessage,
    MessageFields,
)


class ConversationMessages(BaseModel):
    conversation: Optional["ConversationMessagesConversation"]


class ConversationMessagesConversation(ConversationSummary):
    messages: "ConversationMessagesConversationMessages"


class ConversationMessagesConversationMessages(BaseModel):
    page_info: "ConversationMessagesConversationMessagesPageInfo" = Field(
        alias="pageInfo"
    )
    edges: list["ConversationMessagesConversationMessagesEdges"]


class ConversationMessagesConversationMessagesPageInfo(BaseModel):
    has_previous_page: bool = Field(alias="hasPreviousPage")
    start_cursor: Optional[str] = Field(alias="startCursor")


class ConversationMessagesConversationMessagesEdges(BaseModel):
    cursor: str
    node: "ConversationMessagesConversationMessagesEdgesNode"


ConversationMessagesConversationMessagesEdgesNode = MessageFields
ConversationMessages.model_rebuild()
ConversationMessagesConversation.model_rebuild()
ConversationMessagesConversationMessages.model_rebuild()
ConversationMessagesConversationMessagesEdges.model_rebuild()
