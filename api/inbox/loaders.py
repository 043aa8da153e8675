"""Per-request loaders of inbox objects (one query per kind per request)."""

import models
from api.core.loaders import WorkspaceLoader


class ContactByIdLoader(WorkspaceLoader[models.Contact]):
    model = models.Contact


class ConversationByIdLoader(WorkspaceLoader[models.Conversation]):
    model = models.Conversation


class MessageByIdLoader(WorkspaceLoader[models.Message]):
    model = models.Message
