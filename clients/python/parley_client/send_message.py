from decimal import Decimal
from typing import Annotated, Literal, Optional, Union

from pydantic import BeforeValidator, Field

from .base_model import BaseModel
from .fragments import ConversationSummary, ErrorFields, MessageFields
from .parley_client_scalars import parse_decimal


class SendMessage(BaseModel):
    send_message: Union[
        "SendMessageSendMessageSendMessagePayload",
        "SendMessageSendMessageValidationError",
        "SendMessageSendMessageNotFoundError",
        "SendMessageSendMessageConflictError",
        "SendMessageSendMessageQuotaExceededError",
    ] = Field(alias="sendMessage", discriminator="typename__")


class SendMessageSendMessageSendMessagePayload(BaseModel):
    typename__: Literal["SendMessagePayload"] = Field(alias="__typename")
    chat_message: "SendMessageSendMessageSendMessagePayloadChatMessage" = Field(
        alias="chatMessage"
    )
    conversation: "SendMessageSendMessageSendMessagePayloadConversation"
    usage: Optional["SendMessageSendMessageSendMessagePayloadUsage"]


SendMessageSendMessageSendMessagePayloadChatMessage = MessageFields
SendMessageSendMessageSendMessagePayloadConversation = ConversationSummary


class SendMessageSendMessageSendMessagePayloadUsage(BaseModel):
    id: str
    cost_usd: Optional[Annotated[Decimal, BeforeValidator(parse_decimal)]] = Field(
        alias="costUsd"
    )


class SendMessageSendMessageValidationError(ErrorFields):
    typename__: Literal["ValidationError"] = Field(alias="__typename")


class SendMessageSendMessageNotFoundError(ErrorFields):
    typename__: Literal["NotFoundError"] = Field(alias="__typename")


class SendMessageSendMessageConflictError(ErrorFields):
    typename__: Literal["ConflictError"] = Field(alias="__typename")


class SendMessageSendMessageQuotaExceededError(ErrorFields):
    typename__: Literal["QuotaExceededError"] = Field(alias="__typename")


SendMessage.model_rebuild()
SendMessageSendMessageSendMessagePayload.model_rebuild()
