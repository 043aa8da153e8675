"""Every Tortoise model of Parley (aerich and Tortoise load this module)."""

from models.base import Workspace
from models.events import Event
from models.inbox import Contact, Conversation, ConversationLabel, Message
from models.tenancy import ApiKey, Invitation, Membership, User, UserSession
from models.usage import (
    AiBudget,
    AiBudgetPeriod,
    AiBudgetReservation,
    AiModel,
    AiModelAlias,
    AiModelPrice,
    AiUsageDaily,
    AiUsageEvent,
)

__all__ = [
    "AiBudget",
    "AiBudgetPeriod",
    "AiBudgetReservation",
    "AiModel",
    "AiModelAlias",
    "AiModelPrice",
    "AiUsageDaily",
    "AiUsageEvent",
    "ApiKey",
    "Contact",
    "Conversation",
    "ConversationLabel",
    "Event",
    "Invitation",
    "Membership",
    "Message",
    "User",
    "UserSession",
    "Workspace",
]
