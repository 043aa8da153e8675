"""Shutting down ends every live GraphQL operation with `complete` before its socket closes.

uvicorn, on SIGTERM or SIGINT, closes every open WebSocket at once (code 1012) and only then
runs the lifespan's shutdown: a client would see its subscriptions cut off, not completed.
So the app takes those signals first (`complete_on_signals`): it ends the operations of every
open socket of the process with the protocol's own `complete` message, closes the socket
(1001, going away), and then hands the signal to the handler it replaced (uvicorn's), which
shuts the server down as before. The lifespan's shutdown does the same for the sockets that
are still open (an app run without uvicorn's signals, as in tests).
"""

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import Any, Protocol

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import CompleteMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from api.core import metrics

logger = logging.getLogger("parley.shutdown")

CLOSE_GOING_AWAY = 1001
CLOSE_REASON = "Parley is shutting down"
# How long the app may take to complete its operations before the signal goes on.
DRAIN_TIMEOUT_S = 5.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _LiveHandler(Protocol):
    """What both protocols' handlers below have: their view, their socket, and a way out."""

    view: Any
    websocket: Any

    async def complete_all_and_close(self) -> None: ...


class LiveOperations:
    """The open GraphQL WebSocket handlers of this process (both protocols)."""

    def __init__(self) -> None:
        self._handlers: set[_LiveHandler] = set()
        self.closing = False

    def add(self, handler: _LiveHandler) -> None:
        self._handlers.add(handler)

    def discard(self, handler: _LiveHandler) -> None:
        self._handlers.discard(handler)

    def __len__(self) -> int:
        return len(self._handlers)

    async def complete_all(self) -> None:
        """Complete every operation of every socket, close the sockets; refuse new ones
        (at most DRAIN_TIMEOUT_S: a client that does not read must not hold the exit)."""
        self.closing = True
        handlers = list(self._handlers)
        if not handlers:
            return
        ending = [asyncio.ensure_future(h.complete_all_and_close()) for h in handlers]
        done, pending = await asyncio.wait(ending, timeout=DRAIN_TIMEOUT_S)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.warning("a socket did not close cleanly", exc_info=task.exception())
        if pending:
            logger.warning("%d sockets did not complete in %ss", len(pending), DRAIN_TIMEOUT_S)


async def _run_registered(handler: _LiveHandler, handle: Callable[[], Any]) -> None:
    live: LiveOperations = handler.view.live_operations
    if live.closing:  # the server is going away: no new live connection
        await handler.websocket.close(code=CLOSE_GOING_AWAY, reason=CLOSE_REASON)
        return
    live.add(handler)
    try:
        with metrics.OPEN_WEBSOCKETS.track_inprogress():
            await handle()
    finally:
        live.discard(handler)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, None]):
    """graphql-transport-ws, registered with the view's LiveOperations while open."""

    async def handle(self) -> None:
        await _run_registered(self, super().handle)

    async def complete_all_and_close(self) -> None:
        for operation_id, operation in list(self.operations.items()):
            task = operation.task
            await self.cleanup_operation(operation_id)  # cancels it without a message
            if task is not None:
                await asyncio.wait([task])  # its last `next` is out before `complete`
            with suppress(Exception):  # the client may be gone already
                await self.send_message(CompleteMessage(id=operation_id, type="complete"))
        with suppress(Exception):
            await self.websocket.close(code=CLOSE_GOING_AWAY, reason=CLOSE_REASON)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, None]):
    """graphql-ws (legacy), registered with the view's LiveOperations while open."""

    async def handle(self) -> None:
        await _run_registered(self, super().handle)

    async def complete_all_and_close(self) -> None:
        # a stopped operation sends its own `complete` (strawberry's cancellation path)
        for operation_id in list(self.tasks):
            with suppress(Exception):
                await self.cleanup_operation(operation_id)
        with suppress(Exception):
            await self.websocket.close(code=CLOSE_GOING_AWAY, reason=CLOSE_REASON)


SignalHandler = Callable[[int, FrameType | None], Any] | int | None


def complete_on_signals(live: LiveOperations) -> Callable[[], None]:
    """Take SIGTERM and SIGINT: complete every live operation, then pass the signal on to
    the handler it replaces. A second signal passes on at once (forced exit). Returns the
    function that puts the previous handlers back. Call it from the main thread, in the
    running event loop."""
    loop = asyncio.get_running_loop()
    previous: dict[int, SignalHandler] = {sig: signal.getsignal(sig) for sig in SIGNALS}
    tasks: set[asyncio.Task[None]] = set()

    async def complete_then_pass_on(sig: int) -> None:
        try:
            await live.complete_all()
        finally:
            _pass_on(sig, previous[sig])

    def start(sig: int) -> None:
        task = loop.create_task(complete_then_pass_on(sig))
        tasks.add(task)  # a strong reference until it is done
        task.add_done_callback(tasks.discard)

    def on_signal(sig: int, frame: FrameType | None) -> None:
        if live.closing:
            _pass_on(sig, previous[sig], frame)
            return
        live.closing = True
        loop.call_soon_threadsafe(start, sig)

    for sig in SIGNALS:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is on_signal:
                signal.signal(sig, handler)

    return restore


def _pass_on(sig: int, handler: SignalHandler, frame: FrameType | None = None) -> None:
    if callable(handler):
        handler(sig, frame)
    elif handler == signal.SIG_DFL:
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)
