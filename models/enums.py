"""Enumerations stored in the database (as their string values)."""

from enum import StrEnum


class Role(StrEnum):
    """A member's or API key's role in a workspace, strongest first."""

    OWNER = "OWNER"
    ADMIN = "ADMIN"
    AGENT = "AGENT"
    VIEWER = "VIEWER"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2, Role.OWNER: 3}


class LeadStatus(StrEnum):
    NEW = "NEW"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


class LeadTemperature(StrEnum):
    HOT = "HOT"
    WARM = "WARM"
    COLD = "COLD"


class Channel(StrEnum):
    WHATSAPP = "WHATSAPP"
    WEB = "WEB"
    EMAIL = "EMAIL"
    API = "API"


class ConversationStatus(StrEnum):
    OPEN = "OPEN"
    PENDING = "PENDING"
    SNOOZED = "SNOOZED"
    RESOLVED = "RESOLVED"


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class AiState(StrEnum):
    GREETING = "GREETING"
    QUALIFYING = "QUALIFYING"
    SCORING = "SCORING"
    BOOKING = "BOOKING"
    PAYMENT = "PAYMENT"
    SCHEDULING = "SCHEDULING"
    HANDOFF = "HANDOFF"
    COMPLETED = "COMPLETED"


class MessageRole(StrEnum):
    USER = "USER"
    ASSISTANT = "ASSISTANT"
    SYSTEM = "SYSTEM"
    AGENT = "AGENT"
