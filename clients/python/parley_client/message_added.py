from pydantic import Field

from .base_model import BaseModel
from .fragments import MessageFields


class MessageAdded(BaseModel):
    message_added: "MessageAddedMessageAdded" = Field(alias="messageAdded")


MessageAddedMessageAdded = MessageFields
MessageAdded.model_rebuild()
