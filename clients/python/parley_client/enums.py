from enum import Enum


class AiState(str, Enum):
    GREETING = "GREETING"
    QUALIFYING = "QUALIFYING"
    SCORING = "SCORING"
    BOOKING = "BOOKING"
    PAYMENT = "PAYMENT"
    SCHEDULING = "SCHEDULING"
    HANDOFF = "HANDOFF"
    COMPLETED = "COMPLETED"


class BudgetMode(str, Enum):
    SOFT = "SOFT"
    HARD = "HARD"


class Channel(str, Enum):
    WHATSAPP = "WHATSAPP"
    WEB = "WEB"
    EMAIL = "EMAIL"
    API = "API"


class ContactOrder(str, Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


class ConversationOrder(str, Enum):
    LAST_MESSAGE_AT_DESC = "LAST_MESSAGE_AT_DESC"
    LAST_MESSAGE_AT_ASC = "LAST_MESSAGE_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


class ConversationStatus(str, Enum):
    OPEN = "OPEN"
    PENDING = "PENDING"
    SNOOZED = "SNOOZED"
    RESOLVED = "RESOLVED"


class ErrorCode(str, Enum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class InboxEventType(str, Enum):
    CONVERSATION_CREATED = "CONVERSATION_CREATED"
    CONVERSATION_UPDATED = "CONVERSATION_UPDATED"
    MESSAGE_CREATED = "MESSAGE_CREATED"
    CONTACT_CREATED = "CONTACT_CREATED"
    CONTACT_UPDATED = "CONTACT_UPDATED"


class LeadStatus(str, Enum):
    NEW = "NEW"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


class LeadTemperature(str, Enum):
    HOT = "HOT"
    WARM = "WARM"
    COLD = "COLD"


class MessageRole(str, Enum):
    USER = "USER"
    ASSISTANT = "ASSISTANT"
    SYSTEM = "SYSTEM"
    AGENT = "AGENT"


class Priority(str, Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class ReservationStatus(str, Enum):
    ACTIVE = "ACTIVE"
    SETTLED = "SETTLED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


class Role(str, Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    AGENT = "AGENT"
    VIEWER = "VIEWER"


class UnpricedReason(str, Enum):
    UNKNOWN_MODEL = "UNKNOWN_MODEL"
    NO_PRICE = "NO_PRICE"


class UsageDimension(str, Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    MODEL = "MODEL"
    PROVIDER = "PROVIDER"
    OPERATION = "OPERATION"
    AI_TYPE = "AI_TYPE"
    USER = "USER"
    CONVERSATION = "CONVERSATION"
    CONTACT = "CONTACT"
    AI_STATE = "AI_STATE"
