"""A GraphQL client for tests: POSTs a document with variables to the ASGI app."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str | None = None

    def as_(self, token: str | None) -> "GraphQLClient":
        """The same app, with other credentials."""
        return GraphQLClient(self.http, token)

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`execute` that insists on no top-level errors."""
        body = await self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
