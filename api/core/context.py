"""The per-request Context: built once, typed, carried to every resolver as `info.context`."""

from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.core.auth import Viewer
from api.core.broadcast import ParleyBroadcast
from api.core.loaders import WorkspaceLoader
from api.settings import Settings

L = TypeVar("L", bound=WorkspaceLoader[Any])


@dataclass
class Context:
    """Who is asking (viewer, possibly None), the settings, and per-request loaders bound
    to the viewer's workspace. `connection_params` is filled by the WebSocket protocols
    from `connection_init`."""

    request: Request | WebSocket
    settings: Settings
    viewer: Viewer | None = None
    connection_params: dict[str, Any] | None = None
    request_id: str = ""
    broadcast: ParleyBroadcast | None = None
    # the HTTP response being built (None on a WebSocket): for headers such as Retry-After
    response: Response | None = None
    _loaders: dict[type, Any] = field(default_factory=dict)

    @property
    def workspace_id(self) -> UUID:
        """The caller's workspace (permission classes guarantee a viewer first)."""
        assert self.viewer is not None, "resolver without an authentication permission"
        return self.viewer.workspace_id

    @property
    def signed_in_viewer(self) -> Viewer:
        assert self.viewer is not None, "resolver without an authentication permission"
        return self.viewer

    @property
    def live_broadcast(self) -> ParleyBroadcast:
        assert self.broadcast is not None, "subscriptions need the app's broadcast"
        return self.broadcast

    def reset_loaders(self) -> None:
        """Forget loaded rows: a long-lived subscription must not show stale objects."""
        self._loaders.clear()

    def loader(self, loader_class: type[L]) -> L:
        """This request's instance of a loader, bound to the caller's workspace."""
        existing = self._loaders.get(loader_class)
        if existing is None:
            existing = self._loaders[loader_class] = loader_class(self.workspace_id)
        return existing


Info = strawberry.Info[Context, None]
