"""Bounded log records: a client's input can end up in a log line (an exception message
quoting a 1 MB value, once per chained exception; an access log line with a long query
string; a driver's SQL with its parameters). Every record created in the process carries
at most PARLEY_LOG_MAX_VALUE_CHARS of message and as much of traceback, whichever logger
(Parley's, uvicorn's, tortoise's) writes it.

One mechanism: a log record factory wrapping the standard one, so no logger can be
forgotten (a Filter only applies to the logger or handler it is attached to, not to the
records its children propagate). The exception itself stays on the record (`exc_info`):
only its text is cut.

Below: how `parley serve` configures logging (`log_config`): JSON lines (or text), each
with the request id of the request or WebSocket it was written for.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

_MARK = "… [{} more characters cut]"


def truncate(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + _MARK.format(len(text) - max_chars)


class _TruncatingFactory:
    def __init__(self, base: Any, max_chars: int) -> None:
        self.base = base
        self.max_chars = max_chars
        self._formatter = logging.Formatter()

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.base(*args, **kwargs)
        message = record.getMessage()
        if len(message) > self.max_chars:
            record.msg, record.args = truncate(message, self.max_chars), None
        if record.exc_info and not record.exc_text:
            # formatted now, once: handlers reuse exc_text instead of formatting again
            traceback = self._formatter.formatException(record.exc_info)
            record.exc_text = truncate(traceback, self.max_chars)
        if record.stack_info:
            record.stack_info = truncate(record.stack_info, self.max_chars)
        return record


def install_log_truncation(max_chars: int) -> None:
    """Cap every log record created from now on (installing again replaces the cap)."""
    current = logging.getLogRecordFactory()
    base = current.base if isinstance(current, _TruncatingFactory) else current
    logging.setLogRecordFactory(_TruncatingFactory(base, max_chars))


# --------------------------------------------------------------------------------------
# What a log line says about the request or socket it was written for.
# --------------------------------------------------------------------------------------


@dataclass
class RequestInfo:
    """The request (or WebSocket) being served; set by api.core.access.AccessLog for the
    whole of it, tasks it starts included. The GraphQL operation name is filled in when
    known, for the access line."""

    request_id: str
    operation_name: str | None = None


_current_request: ContextVar[RequestInfo | None] = ContextVar("parley_request", default=None)


def current_request() -> RequestInfo | None:
    return _current_request.get()


@contextmanager
def serving_request(info: RequestInfo) -> Iterator[None]:
    token = _current_request.set(info)
    try:
        yield
    finally:
        _current_request.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record passing the handler a `request_id` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _current_request.get()
        record.request_id = info.request_id if info else None
        return True


# uvicorn's `color_message` repeats the message with ANSI colours: not for a JSON line
_NOT_FIELDS = (*RESERVED_ATTRS, "color_message")
LOG_FORMATS = ("json", "text")


class _CappedJsonFormatter(JsonFormatter):
    """python-json-logger formats the traceback itself (not the record's cut `exc_text`),
    so it cuts it too."""

    def __init__(self, *args: Any, max_chars: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_chars = max_chars

    def formatException(self, ei: Any) -> str:
        return truncate(str(super().formatException(ei)), self.max_chars)


def json_formatter(max_chars: int = 2000) -> JsonFormatter:
    """One JSON object a line: timestamp, level, logger, message, request_id, then any
    `extra` fields (the access log's method, path, status …) and the traceback
    (`exc_info`, cut to `max_chars`)."""
    return _CappedJsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        reserved_attrs=_NOT_FIELDS,
        timestamp=True,
        max_chars=max_chars,
    )


def log_config(level: str, log_format: str, max_value_chars: int) -> dict[str, Any]:
    """logging's dictConfig for `parley serve` (uvicorn applies it in every worker): every
    logger (Parley's, uvicorn's, libraries') writes to stderr at `level`, in `log_format`."""
    formatter: dict[str, Any] = (
        {"()": json_formatter, "max_chars": max_value_chars}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "parley",
        "filters": ["request_id"],
    }
    # uvicorn's loggers keep no handlers of their own: their records reach the root's
    uvicorn_logger = {"handlers": [], "level": level.upper(), "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"parley": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": uvicorn_logger,
            "uvicorn.error": uvicorn_logger,
            # Parley writes its own access lines (api/core/access.py), with the request id
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "parley": {"level": level.upper()},
        },
    }
