from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import ConversationSummary, ErrorFields


class HandoffConversation(BaseModel):
    handoff_conversation: Union[
        "HandoffConversationHandoffConversationHandoffConversationPayload",
        "HandoffConversationHandoffConversationValidationError",
        "HandoffConversationHandoffConversationNotFoundError",
    ] = Field(alias="handoffConversation", discriminator="typename__")


class HandoffConversationHandoffConversationHandoffConversationPayload(BaseModel):
    typename__: Literal["HandoffConversationPayload"] = Field(alias="__typename")
    conversation: (
        "HandoffConversationHandoffConversationHandoffConversationPayloadConversation"
    )


HandoffConversationHandoffConversationHandoffConversationPayloadConversation = (
    ConversationSummary
)


class HandoffConversationHandoffConversationValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class HandoffConversationHandoffConversationNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


HandoffConversation.model_rebuild()
HandoffConversationHandoffConversationHandoffConversationPayload.model_rebuild()
