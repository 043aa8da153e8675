from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import ConversationSummary


class InboxConversations(BaseModel):
    conversations: "InboxConversationsConversations"


class InboxConversationsConversations(BaseModel):
    page_info: "InboxConversationsConversationsPageInfo" = Field(alias="pageInfo")
    edges: list["InboxConversationsConversationsEdges"]


class InboxConversationsConversationsPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


class InboxConversationsConversationsEdges(BaseModel):
    cursor: str
    node: "InboxConversationsConversationsEdgesNode"


InboxConversationsConversationsEdgesNode = ConversationSummary
InboxConversations.model_rebuild()
InboxConversationsConversations.model_rebuild()
InboxConversationsConversationsEdges.model_rebuild()
