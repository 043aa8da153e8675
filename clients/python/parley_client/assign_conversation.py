from typing import Literal, Union

from pydantic import Field

from .base_model import BaseModel
from .fragments import ConversationSummary, ErrorFields


class AssignConversation(BaseModel):
    assign_conversation: Union[
        "AssignConversationAssignConversationAssignConversationPayload",
        "AssignConversationAssignConversationValidationError",
        "AssignConversationAssignConversationNotFoundError",
    ] = Field(alias="assignConversation", discriminator="typename__")


class AssignConversationAssignConversationAssignConversationPayload(BaseModel):
    typename__: Literal["AssignConversationPayload"] = Field(alias="__typename")
    conversation: (
        "AssignConversationAssignConversationAssignConversationPayloadConversation"
    )


AssignConversationAssignConversationAssignConversationPayloadConversation = (
    ConversationSummary
)


class AssignConversationAssignConversationValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class AssignConversationAssignConversationNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


AssignConversation.model_rebuild()
AssignConversationAssignConversationAssignConversationPayload.model_rebuild()
