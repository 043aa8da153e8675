"""Every Tortoise model of Parley (aerich and Tortoise load this module)."""

from models.events import Event
from models.inbox import Contact, Conversation, ConversationLabel, Message
from models.tenancy import ApiKey, Membership, User, UserSession, Workspace

__all__ = [
    "ApiKey",
    "Contact",
    "Conversation",
    "ConversationLabel",
    "Event",
    "Membership",
    "Message",
    "User",
    "UserSession",
    "Workspace",
]
