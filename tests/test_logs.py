"""Logs stay small whatever a client sends: every record's message and traceback are cut
to PARLEY_LOG_MAX_VALUE_CHARS, and the cause stays readable."""

import json
import logging
import sys
import uuid

import pytest

from api.core.ids import encode_id
from api.core.logs import json_formatter
from api.inbox import messages as inbox_messages
from api.settings import Settings
from models.enums import Role
from tests.conftest import Tenant
from tests.graphql import GraphQLClient

SEND = """mutation($input: SendMessageInput!) { sendMessage(input: $input) {
  __typename } }"""


async def test_an_unexpected_error_quoting_a_huge_input_is_logged_cut(
    client: GraphQLClient,
    tenant: Tenant,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a failure whose message quotes the input, twice (a chained exception)
    async def explode(*, content: str, **_: object) -> None:
        try:
            raise ValueError(f"cannot send {content!r}")
        except ValueError as error:
            raise RuntimeError(f"sending {content!r} failed") from error

    monkeypatch.setattr(inbox_messages, "send_message", explode)
    # when a client sends the longest message there may be (30,000 characters)
    content = "x" * 30_000
    conversation_id = encode_id("Conversation", uuid.uuid4())
    body = await client.as_(tenant.keys[Role.AGENT]).execute(
        SEND, {"input": {"conversationId": conversation_id, "role": "AGENT", "content": content}}
    )
    # then the client gets the masked error
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # and the log line, traceback included, is cut to the limit but still names the cause
    [record] = [r for r in caplog.records if r.name == "parley.errors"]
    written = caplog.handler.format(record)
    limit = settings.log_max_value_chars
    assert len(written) < 2 * limit + 200
    assert "ValueError: cannot send 'xxx" in written
    assert "characters cut]" in written
    # and the exception itself is kept on the record, whole
    assert record.exc_info is not None and len(str(record.exc_info[1])) > 30_000


async def test_any_logger_is_cut_also_with_arguments(
    client: GraphQLClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # when some library logs a huge argument (the app, hence the cap, is running)
    with caplog.at_level(logging.INFO, logger="some.library"):
        logging.getLogger("some.library").info("query %s took %d ms", "y" * 50_000, 3)
    # then the record is cut to the limit
    [record] = [r for r in caplog.records if r.name == "some.library"]
    message = record.getMessage()
    assert message.startswith("query yyy")
    full_length = len("query ") + 50_000 + len(" took 3 ms")
    cut = full_length - settings.log_max_value_chars
    assert message.endswith(f"… [{cut} more characters cut]")


def test_a_json_log_line_cuts_the_traceback_too() -> None:
    # given the JSON formatter of `parley serve`, cutting at 500 characters
    formatter = json_formatter(max_chars=500)
    # when an error quoting a huge value is logged with its traceback
    try:
        raise ValueError("x" * 50_000)
    except ValueError:
        record = logging.getLogger("parley.test").makeRecord(
            "parley.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = json.loads(formatter.format(record))
    # then the line is one JSON object whose traceback is cut, naming the cause
    assert line["message"] == "failed" and line["level"] == "ERROR"
    assert line["exc_info"].startswith("Traceback")
    assert "characters cut]" in line["exc_info"] and len(line["exc_info"]) < 600
