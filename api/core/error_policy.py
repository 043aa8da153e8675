"""Top-level errors: codes for the expected ones, masking for everything else.

- A domain error outside a mutation union (e.g. a bad cursor in a query) keeps its
  message and gets `extensions.code` (BAD_USER_INPUT, NOT_FOUND …).
- Errors raised as GraphQLError by us (UNAUTHENTICATED, FORBIDDEN) pass; a document that
  does not parse gets GRAPHQL_PARSE_FAILED, one that does not validate
  GRAPHQL_VALIDATION_FAILED.
- Anything else is logged with the request id and replaced by "Internal server error"
  with `extensions.code = INTERNAL_SERVER_ERROR` and the request id, never a traceback.
"""

import logging

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from api.core.errors import DomainError

logger = logging.getLogger("parley.errors")


class ErrorPolicy(MaskErrors):
    def __init__(self) -> None:
        super().__init__(
            should_mask_error=self._is_unexpected, error_message="Internal server error."
        )

    @staticmethod
    def _is_unexpected(error: GraphQLError) -> bool:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError | DomainError):
            return False
        # graphql-core reports a literal it could not convert (an Int of 5,000 digits makes
        # int() raise ValueError) with the conversion's exception attached: that is about
        # the client's document, found before execution (no path), not a failure of ours.
        return not (error.path is None and isinstance(original, ValueError))

    def _request_id(self) -> str:
        context = self.execution_context.context
        return str(getattr(context, "request_id", "") or "")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._public(error) for error in errors]

    def _public(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": original.code, "field": original.field},
            )
        if not self._is_unexpected(error):
            if error.extensions and "code" in error.extensions:
                return error
            # a document that does not parse (or has too many tokens) vs one that does not
            # validate: the codes Apollo Server uses
            code = (
                "GRAPHQL_PARSE_FAILED"
                if isinstance(error, GraphQLSyntaxError)
                else "GRAPHQL_VALIDATION_FAILED"
            )
            error.extensions = {**(error.extensions or {}), "code": code}
            return error
        request_id = self._request_id()
        logger.error(
            "unexpected error in request %s at %s", request_id, error.path, exc_info=original
        )
        masked = self.anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked
