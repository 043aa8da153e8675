from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import ConversationSummary, ErrorFields


class SetConversationStatus(BaseModel):
    set_conversation_status: Union[
        "SetConversationStatusSetConversationStatusSetConversationStatusPayload",
        "SetConversationStatusSetConversationStatusValidationError",
        "SetConversationStatusSetConversationStatusNotFoundError",
    ] = Field(alias="setConversationStatus", discriminator="typename__")


class SetConversationStatusSetConversationStatusSetConversationStatusPayload(BaseModel):
    typename__: Literal["SetConversationStatusPayload"] = Field(alias="__typename")
    conversation: "SetConversationStatusSetConversationStatusSetConversationStatusPayloadConversation"


SetConversationStatusSetConversationStatusSetConversationStatusPayloadConversation = (
    ConversationSummary
)


class SetConversationStatusSetConversationStatusValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class SetConversationStatusSetConversationStatusNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


SetConversationStatus.model_rebuild()
SetConversationStatusSetConversationStatusSetConversationStatusPayload.model_rebuild()
