"""Bounded log records: a client's input can end up in a log line (an exception message
quoting a 1 MB value, once per chained exception; an access log line with a long query
string; a driver's SQL with its parameters). Every record created in the process carries
at most PARLEY_LOG_MAX_VALUE_CHARS of message and as much of traceback, whichever logger
(Parley's, uvicorn's, tortoise's) writes it.

One mechanism: a log record factory wrapping the standard one, so no logger can be
forgotten (a Filter only applies to the logger or handler it is attached to, not to the
records its children propagate). The exception itself stays on the record (`exc_info`):
only its text is cut.
"""

import logging
from typing import Any

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
