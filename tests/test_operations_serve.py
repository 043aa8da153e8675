"""What an operator sees of a real `parley serve`: its log lines (JSON, with request ids,
access lines, the log level honoured), /readyz with Redis away, and /metrics summed over
`--workers 2`."""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.core.redis_server import free_port
from tests.servers import parley_process
from tests.services import require_redis

HELLO = {"query": "query Hello { __typename }", "operationName": "Hello"}
WAIT_S = 30


def fresh_database(sqlite_template: Path, tmp_path: Path) -> str:
    database = tmp_path / "parley.sqlite3"
    shutil.copy(sqlite_template, database)
    return f"sqlite://{database}"


def json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of the log, each of which must be one JSON object."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the server wrote no log"
    return [json.loads(line) for line in lines]


async def rejected_socket(base_url: str, request_id: str) -> int:
    """Open a WebSocket (with an X-Request-Id) whose connection_init has no credentials;
    the close code the server ends it with."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"x-request-id": request_id},
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        try:
            async with asyncio.timeout(WAIT_S):
                while True:
                    await ws.recv()
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
    raise AssertionError("the socket was not closed")


async def test_every_log_line_is_json_and_carries_the_request_id_of_its_request(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # given a server logging at info
    log = tmp_path / "parley.log"
    async with parley_process(
        fresh_database(sqlite_template, tmp_path),
        "memory://",
        {"PARLEY_LOG_LEVEL": "info"},
        stderr_path=log,
    ) as server:
        # when a client sends a named query with its request id, and opens a WebSocket
        # without credentials
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            response = await http.post("/graphql", json=HELLO, headers={"x-request-id": "ops-1"})
        assert response.headers["x-request-id"] == "ops-1"
        assert await rejected_socket(server.base_url, "ops-ws-1") == 4403
    # then every line of the log is a JSON object with the standard fields
    lines = json_lines(log)
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "request_id"} <= line.keys(), line
    assert any(line["message"] == "Application startup complete." for line in lines)
    # and the request has its access line, with its id, status, time and operation
    [access] = [line for line in lines if line["request_id"] == "ops-1"]
    assert access["logger"] == "parley.access" and access["level"] == "INFO"
    assert (access["method"], access["path"], access["status"]) == ("POST", "/graphql", 200)
    assert access["operation_name"] == "Hello" and access["duration_ms"] >= 0
    # and the WebSocket's lines (uvicorn's too) carry its id: Parley's access lines say
    # when it opened and when it closed, with the code
    socket_lines = [line for line in lines if line["request_id"] == "ops-ws-1"]
    assert any(line["logger"] == "uvicorn.error" for line in socket_lines)
    socket_lines = [line for line in socket_lines if line["logger"] == "parley.access"]
    assert [line["websocket"] for line in socket_lines] == ["opened", "closed"]
    assert socket_lines[1]["close_code"] == 4403 and socket_lines[1]["closed_by"] == "server"


async def test_with_redis_away_readyz_is_503_and_its_warning_carries_the_request_id(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # given a server at log level warning whose Redis does not answer (nothing listens)
    log = tmp_path / "parley.log"
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    server = parley_process(
        fresh_database(sqlite_template, tmp_path),
        unreachable,
        {"PARLEY_LOG_LEVEL": "warning"},
        stderr_path=log,
    )
    async with server as running, httpx.AsyncClient(base_url=running.base_url) as http:
        # when the load balancer probes it
        health = await http.get("/healthz")
        ready = await http.get("/readyz", headers={"x-request-id": "probe-1"})
    # then it is alive but not ready, naming the broadcast
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["broadcast"] != "ok"
    # and the warning written while answering carries the probe's request id
    lines = json_lines(log)
    [warning] = [line for line in lines if line["logger"] == "parley.health"]
    assert warning["level"] == "WARNING" and warning["request_id"] == "probe-1"
    assert "broadcast" in warning["message"]
    # and at warning no INFO line is written (no access lines, no start-up chatter)
    assert [line for line in lines if line["level"] in ("INFO", "DEBUG")] == []


async def test_text_logs_for_development_carry_the_request_id_too(
    sqlite_template: Path, tmp_path: Path
) -> None:
    # given a server with PARLEY_LOG_FORMAT=text
    log = tmp_path / "parley.log"
    async with (
        parley_process(
            fresh_database(sqlite_template, tmp_path),
            "memory://",
            {"PARLEY_LOG_LEVEL": "info", "PARLEY_LOG_FORMAT": "text"},
            stderr_path=log,
        ) as server,
        httpx.AsyncClient(base_url=server.base_url) as http,
    ):
        await http.post("/graphql", json=HELLO, headers={"x-request-id": "text-1"})
    # then its access line is plain text with the request id
    [access] = [line for line in log.read_text().splitlines() if "[text-1]" in line]
    assert " INFO parley.access [text-1] POST /graphql 200 " in access
    assert access.endswith("(Hello)")


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


@pytest.mark.redis
async def test_metrics_are_summed_over_every_worker(sqlite_template: Path, tmp_path: Path) -> None:
    # given a server with two workers (its metrics directory made in our TMPDIR)
    temp = tmp_path / "tmp"
    temp.mkdir()
    requests = 30
    async with parley_process(
        fresh_database(sqlite_template, tmp_path),
        require_redis(),
        {"PARLEY_WORKERS": "2", "TMPDIR": str(temp)},
    ) as server:
        [metrics_dir] = list(temp.glob("parley-metrics-*"))

        async def scrape() -> str:
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                response = await http.get("/metrics")
            assert response.status_code == 200
            return response.text

        async def both_workers_up() -> bool:
            return len(samples(await scrape(), "parley_worker_start_time_seconds")) == 2

        async with asyncio.timeout(WAIT_S):
            while not await both_workers_up():
                await asyncio.sleep(0.1)
        # when clients send N queries, each on its own connection (so the workers share them)
        for _ in range(requests):
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                assert (await http.post("/graphql", json=HELLO)).status_code == 200
        # then whichever worker answers /metrics counts all N
        for _ in range(5):
            counted = samples(await scrape(), "parley_graphql_requests_total")
            hello = [v for labels, v in counted if labels["operation_name"] == "Hello"]
            assert hello == [requests]
        # and both workers keep their values in the directory serve made
        assert len(list(metrics_dir.glob("gauge_liveall_*.db"))) == 2
    # and serve removed that directory when it stopped
    assert not metrics_dir.exists()
