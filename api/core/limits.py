"""Bounds on what one GraphQL document may ask for, checked before execution in time linear
in the document: every fragment definition is measured once, however often it is spread
(`...F1 ...F1` in each of 30 fragments costs 30 measurements, not 2^30).

Parley's limits (`document_limit_errors`), checked before graphql-core's standard rules:

- depth: the deepest nesting of fields with fragments expanded, not counting inside
  introspection fields (PARLEY_MAX_QUERY_DEPTH), and aliased fields in the document's
  operations with fragments expanded (PARLEY_MAX_ALIASES): `GRAPHQL_VALIDATION_FAILED`,
  with the messages strawberry's limiters used before;
- fragment spreads written in the document (PARLEY_MAX_FRAGMENT_SPREADS), the number of
  fields once every spread is replaced by its fragment (PARLEY_MAX_EXPANDED_FIELDS), and
  selection sets nested over 200 levels through fragments (where graphql-core's rules
  would stop with a bare "Validation aborted."): `QUERY_TOO_COMPLEX`.

The cost (per request, as it reads the variables; only of a valid document), refused above
PARLEY_MAX_QUERY_COST with `QUERY_TOO_COMPLEX` and the cost in the message. It is an upper
bound of the objects the operation can return: every field costs 1, and a list multiplies
the cost of what it selects by the number of items it can hold:

- a connection's `edges` by its page size: `first` or `last` (a literal or a variable's
  value, at most PARLEY_MAX_PAGE_SIZE), else the default page (20);
- any other list of objects by one default page;
- inside introspection (`__schema`, `__type`) nothing multiplies: the schema is finite.

So the inbox page (`conversations(first: 20) { edges { cursor node { … 14 fields } } }
pageInfo {…} }`) costs 325, and 15 aliases of `conversations(first: 100)` each with
`messages(first: 100) { edges { node { content } } }` cost about 300,000.
"""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.utilities import get_operation_ast
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

from api.core.pagination import DEFAULT_PAGE_SIZE
from api.core.scalars import NumberLiteralLength
from api.settings import Settings

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
SATURATED = 10**12  # counts stop growing here: a fan-out document has 2^n fields


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


def _times(a: int, b: int) -> int:
    return min(a * b, SATURATED)


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TOO_COMPLEX})


def _nested_too_deeply() -> GraphQLError:
    return _too_complex(
        f"The document nests selections more than {MAX_NESTING_DEPTH} levels deep "
        "through its fragments."
    )


@dataclass(frozen=True)
class Shape:
    """What a selection set amounts to with its fragments expanded."""

    depth: int = 0  # nesting of fields that have selections
    aliases: int = 0
    fields: int = 0
    nesting: int = 0  # of selection sets, through fragments (as graphql-core counts it)

    def beside(self, other: "Shape") -> "Shape":
        return Shape(
            max(self.depth, other.depth),
            _add(self.aliases, other.aliases),
            _add(self.fields, other.fields),
            max(self.nesting, other.nesting),
        )


class DocumentShapes:
    """Shapes of a document's selection sets, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = _fragments(document)
        self._measured: dict[str, Shape] = {}

    def of_selection_set(self, selection_set: SelectionSetNode) -> Shape:
        shape = Shape()
        for selection in selection_set.selections:
            shape = shape.beside(self._of_selection(selection))
        return replace(shape, nesting=shape.nesting + 1)

    def _of_selection(self, selection: SelectionNode) -> Shape:
        if isinstance(selection, FieldNode):
            alias = 1 if selection.alias else 0
            if selection.selection_set is None:
                return Shape(0, alias, 1)
            inner = self.of_selection_set(selection.selection_set)
            # strawberry's depth limiter did not descend into introspection: neither do we
            depth = 0 if selection.name.value.startswith("__") else inner.depth + 1
            return Shape(depth, _add(inner.aliases, alias), _add(inner.fields, 1), inner.nesting)
        if isinstance(selection, InlineFragmentNode):
            return self.of_selection_set(selection.selection_set)
        assert isinstance(selection, FragmentSpreadNode)
        return self._of_fragment(selection.name.value)

    def _of_fragment(self, name: str) -> Shape:
        if name not in self._measured:
            self._measured[name] = Shape()  # a cycle adds nothing (NoFragmentCycles refuses it)
            fragment = self.fragments.get(name)  # unknown: KnownFragmentNames refuses it
            if fragment is not None:
                self._measured[name] = self.of_selection_set(fragment.selection_set)
        return self._measured[name]


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            yield definition


def count_fragment_spreads(document: DocumentNode) -> int:
    """Fragment spreads as written (not expanded), without recursion."""
    count = 0
    pending: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                count += 1
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return count


def document_limit_errors(document: DocumentNode, settings: Settings) -> list[GraphQLError]:
    """Every limit the document breaks (empty when it keeps them all)."""
    spreads = count_fragment_spreads(document)
    if spreads > settings.max_fragment_spreads:
        # refused before anything follows the spreads (a long chain would recurse deeply)
        return [
            _too_complex(
                f"The document has {spreads} fragment spreads; "
                f"at most {settings.max_fragment_spreads} are allowed."
            )
        ]
    shapes = DocumentShapes(document)
    errors: list[GraphQLError] = []
    aliases = fields = 0
    for operation in _operations(document):
        shape = shapes.of_selection_set(operation.selection_set)
        if shape.nesting > MAX_NESTING_DEPTH:  # where graphql-core's rules would give up
            return [_nested_too_deeply()]
        if shape.depth > settings.max_query_depth:
            name = operation.name.value if operation.name else "anonymous"
            message = f"'{name}' exceeds maximum operation depth of {settings.max_query_depth}"
            errors.append(GraphQLError(message, [operation]))
        aliases, fields = _add(aliases, shape.aliases), _add(fields, shape.fields)
    if aliases > settings.max_aliases:
        errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {settings.max_aliases}"))
    if fields > settings.max_expanded_fields:
        shown = f"more than {SATURATED}" if fields >= SATURATED else str(fields)
        errors.append(
            _too_complex(
                f"The document selects {shown} fields once its fragments are expanded; "
                f"at most {settings.max_expanded_fields} are allowed."
            )
        )
    return errors


def validation_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    settings: Settings,
    *,
    validate: Callable[..., list[GraphQLError]] = validate_document,
) -> list[GraphQLError]:
    """Validation in two passes: Parley's limits, linear in the document, then only for a
    document that keeps them the standard rules (some of which, like
    OverlappingFieldsCanBeMerged, grow faster than the document on fragment fan-outs)."""
    try:
        limit_errors = document_limit_errors(document, settings)
    except RecursionError:  # a chain of fragments, each spreading the next
        return [_nested_too_deeply()]
    # number literals too long to convert go before the standard rules convert them
    limit_errors = limit_errors or list(validate_document(schema, document, (NumberLiteralLength,)))
    return limit_errors or list(validate(schema, document, rules))


class QueryCost:
    """The cost of one operation of a document, given its variables (see the module)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        *,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = _fragments(document)
        self.variables = {**_variable_defaults(operation), **variables}
        self.max_page_size = max_page_size
        self.default_page = min(DEFAULT_PAGE_SIZE, max_page_size)
        self._costed: dict[tuple[str, int | None, bool], int] = {}

    def of_operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return self._of_selection_set(operation.selection_set, root, None, False)

    def _of_selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLCompositeType,
        page: int | None,
        introspection: bool,
    ) -> int:
        """`page`: the page size when `parent` is what a paged field returns (a
        connection), for its list; `introspection`: inside __schema/__type."""
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost = _add(cost, self._of_field(selection, parent, page, introspection))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._named_type(condition.name.value) if condition else parent
                inner = inner or parent
                cost = _add(
                    cost,
                    self._of_selection_set(selection.selection_set, inner, page, introspection),
                )
            elif isinstance(selection, FragmentSpreadNode):
                cost = _add(cost, self._of_fragment(selection.name.value, page, introspection))
        return cost

    def _of_fragment(self, name: str, page: int | None, introspection: bool) -> int:
        key = (name, page, introspection)
        if key not in self._costed:
            self._costed[key] = 0  # a cycle adds nothing (NoFragmentCycles refuses it)
            fragment = self.fragments.get(name)
            if fragment is not None:
                parent = self._named_type(fragment.type_condition.name.value)
                if parent is not None:
                    self._costed[key] = self._of_selection_set(
                        fragment.selection_set, parent, page, introspection
                    )
        return self._costed[key]

    def _of_field(
        self, node: FieldNode, parent: GraphQLCompositeType, page: int | None, introspection: bool
    ) -> int:
        definition = self.schema.get_field(parent, node.name.value)
        if definition is None or node.selection_set is None:
            return 1
        returned = get_named_type(definition.type)
        if not is_composite_type(returned):
            return 1
        introspection = introspection or node.name.value.startswith("__")
        paged = "first" in definition.args or "last" in definition.args
        inner_page = self._page_size(node) if paged and not introspection else None
        multiplier = 1
        if _is_list(definition.type) and not introspection:
            multiplier = page if page is not None else self.default_page
        inner = self._of_selection_set(
            node.selection_set,
            returned,
            inner_page,
            introspection,
        )
        return _add(1, _times(multiplier, inner))

    def _page_size(self, node: FieldNode) -> int:
        sizes = [
            size
            for name in ("first", "last")
            if (size := self._int_argument(node, name)) is not None
        ]
        asked = max(sizes) if sizes else self.default_page
        return max(0, min(asked, self.max_page_size))

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                try:
                    return int(value.value)
                except ValueError:  # more digits than Python converts: huge
                    return self.max_page_size
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return given
        return None

    def _named_type(self, name: str) -> GraphQLCompositeType | None:
        named = self.schema.get_type(name)
        return named if is_composite_type(named) else None


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        if isinstance(definition.default_value, IntValueNode):
            defaults[definition.variable.name.value] = int(definition.default_value.value)
    return defaults


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    max_page_size: int,
) -> int:
    """The cost of the operation that runs (0 if there is none to pick)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    cost = QueryCost(schema, document, operation, variables or {}, max_page_size=max_page_size)
    return cost.of_operation(operation)


class DocumentCache(ParserCache):
    """strawberry's parser cache, except that a document that does not parse is left to
    strawberry's own parse step: raised from here, its syntax error would escape the error
    policy (it is raised while extensions are entering), and reach the client without a
    code."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # on a GraphQLError strawberry parses again, inside its error handling, and reports it
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


# shared across requests, keyed by the parsed document (DocumentCache hands out the same one)
_cached_validate = lru_cache(maxsize=1000)(validate_document)


class QueryLimits(SchemaExtension):
    """Everything checked before an operation runs, in this order, each step only for a
    document that passed the one before: Parley's limits, the standard validation rules
    (both cached per document), the cost with this request's variables. For queries,
    mutations and subscriptions alike. Replaces strawberry's ValidationCache."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            schema = context.schema._schema
            rules = tuple(context.validation_rules)
            context.pre_execution_errors = validation_errors(
                schema, document, rules, self.settings, validate=_cached_validate
            ) or self._cost_errors(schema, document)
        yield

    def _cost_errors(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        context = self.execution_context
        limit = self.settings.max_query_cost
        try:
            cost = operation_cost(
                schema,
                document,
                context.operation_name,
                context.variables,
                max_page_size=self.settings.max_page_size,
            )
        except RecursionError:
            return [_nested_too_deeply()]
        if cost <= limit:
            return []
        return [
            _too_complex(
                f"The query's cost is {cost}, above the limit of {limit}: every list "
                "multiplies the cost of what it selects by its page size (first/last, or "
                "20); ask for smaller pages or less nesting."
            )
        ]
