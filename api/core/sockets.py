"""Open WebSockets by credential, so a revoked API key or an ended session loses its live
connections within seconds.

Each process sweeps its own sockets every few seconds with one query per credential kind
(however many sockets are open); that also covers revocations made on other instances and
sessions that simply expire.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import cast
from uuid import UUID

from starlette.websockets import WebSocket, WebSocketState
from tortoise.expressions import Q

import models
from api.core.auth import Viewer

logger = logging.getLogger("parley.sockets")
CLOSE_CREDENTIAL_GONE = 4403


class LiveSockets:
    def __init__(self) -> None:
        self._by_key: dict[UUID, set[WebSocket]] = defaultdict(set)
        self._by_session: dict[UUID, set[WebSocket]] = defaultdict(set)

    def _registry(self, viewer: Viewer) -> tuple[dict[UUID, set[WebSocket]], UUID] | None:
        if viewer.api_key_id is not None:
            return self._by_key, viewer.api_key_id
        if viewer.session_id is not None:
            return self._by_session, viewer.session_id
        return None

    def add(self, viewer: Viewer, websocket: WebSocket) -> None:
        found = self._registry(viewer)
        if found:
            registry, key = found
            registry[key].add(websocket)

    def discard(self, viewer: Viewer, websocket: WebSocket) -> None:
        found = self._registry(viewer)
        if found:
            registry, key = found
            registry[key].discard(websocket)
            if not registry[key]:
                del registry[key]

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_key.values()) + sum(
            len(s) for s in self._by_session.values()
        )

    async def sweep(self) -> int:
        """Close the sockets whose credential is revoked or expired; how many were closed."""
        gone_keys: list[UUID] = []
        gone_sessions: list[UUID] = []
        if self._by_key:
            gone_keys = cast(
                list[UUID],
                await models.ApiKey.filter(
                    id__in=list(self._by_key), revoked_at__not_isnull=True
                ).values_list("id", flat=True),
            )
        if self._by_session:
            gone_sessions = cast(
                list[UUID],
                await models.UserSession.filter(
                    Q(revoked_at__not_isnull=True) | Q(expires_at__lte=datetime.now(UTC)),
                    id__in=list(self._by_session),
                ).values_list("id", flat=True),
            )
        closed = 0
        for registry, ids in ((self._by_key, gone_keys), (self._by_session, gone_sessions)):
            for key in ids:
                for websocket in list(registry.pop(key, ())):
                    closed += await _close(websocket)
        return closed

    async def run_sweeps(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.sweep()
            except Exception:  # a failed sweep is retried next time; never kill the loop
                logger.warning("credential sweep failed", exc_info=True)


async def _close(websocket: WebSocket) -> int:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return 0
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.close(code=CLOSE_CREDENTIAL_GONE, reason="credential revoked or expired")
    return 1
