"""Validation benchmark: how long Parley takes to validate a document before it runs.

Times, in this process, the work done before execution on documents a cache does not hold
(an attacker varies the text): parsing, validation with every rule Parley runs (Parley's
limits, then graphql-core's standard rules) and the query cost (computed per request: it
reads the variables). Each is the median of several runs; validation is also printed
against `{ __typename }` measured the same way in the same run, as a ratio, so the
numbers mean something on a loaded machine too.
Then shows how strawberry's depth and alias limiters (used before) grow on the fan-out
document with fewer fragments (they re-walk each fragment at every spread).

    .venv/bin/python bench/run_validation.py [--runs 25]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from graphql import DocumentNode, parse, specified_rules
from strawberry.extensions.max_aliases import create_validator as strawberry_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as strawberry_depth_rule
from strawberry.schema.schema import validate_document

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run_inbox import INBOX_QUERY

from api.core.limits import operation_cost, validation_errors
from api.schema import schema
from api.settings import Settings

SETTINGS = Settings()
BASELINE = "{ __typename }"


def fan_out(fragments: int) -> str:
    """`query{...F0} fragment F0 on Query{...F1 ...F1} … fragment Fn on Query{__typename}`"""
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{fragments} on Query {{ __typename }}"


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def validate(document: DocumentNode) -> list[str]:
    """What Parley runs (uncached): its limits, then the standard rules."""
    errors = validation_errors(schema._schema, document, tuple(specified_rules), SETTINGS)
    return [error.message for error in errors]


def validate_with(document: DocumentNode, rules: tuple[type, ...]) -> list[str]:
    return [error.message for error in validate_document(schema._schema, document, rules)]


def cost(document: DocumentNode) -> int:
    return operation_cost(schema._schema, document, None, {}, max_page_size=SETTINGS.max_page_size)


def parley_table(runs: int) -> None:
    documents = {
        "`{ __typename }` (baseline)": BASELINE,
        "inbox page (bench/run_inbox.py)": INBOX_QUERY,
        "fan-out, 30 fragments (issue 7)": fan_out(30),
    }
    baseline = parse(BASELINE)
    base_parse = median_seconds(lambda: parse(BASELINE), runs)
    base_validate = median_seconds(lambda: validate(baseline), runs)
    print(
        "| Document | bytes | parse (ms) | validate (ms) | validate ÷ baseline "
        "| cost | costing (ms) | verdict |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, text in documents.items():
        document = parse(text)
        parse_s = median_seconds(lambda text=text: parse(text), runs)  # type: ignore[misc]
        validate_s = median_seconds(lambda document=document: validate(document), runs)  # type: ignore[misc]
        cost_s = median_seconds(lambda document=document: cost(document), runs)  # type: ignore[misc]
        errors = validate(document)
        verdict = "refused: " + "; ".join(errors) if errors else "valid"
        print(
            f"| {label} | {len(text)} | {parse_s * 1000:.3f} | {validate_s * 1000:.3f} "
            f"| {validate_s / base_validate:.1f}× | {cost(document)} | {cost_s * 1000:.3f} "
            f"| {verdict} |"
        )
    print(
        f"\nbaseline: parse {base_parse * 1000:.3f} ms, validate {base_validate * 1000:.3f} ms "
        f"(median of {runs} runs)"
    )


def strawberry_table(runs: int) -> None:
    """Before: the standard rules with strawberry's depth and alias limiters, in one pass,
    on smaller fan-outs (30 fragments would take hours). Now: Parley's validation."""
    before_rules = (
        *specified_rules,
        strawberry_depth_rule(SETTINGS.max_query_depth, should_ignore=None),
        strawberry_alias_rule(SETTINGS.max_aliases),
    )
    print("\n| Fragments | before: standard rules + strawberry's limiters (ms) | now (ms) |")
    print("|---:|---:|---:|")
    for fragments in (10, 12, 14, 16, 18, 30, 100):
        document = parse(fan_out(fragments))
        if fragments <= 18:
            before = median_seconds(
                lambda d=document: validate_with(d, before_rules),  # type: ignore[misc]
                max(3, runs // 5),
            )
            shown = f"{before * 1000:.1f}"
        else:
            shown = "(hours)"
        now = median_seconds(lambda d=document: validate(d), runs)  # type: ignore[misc]
        print(f"| {fragments} | {shown} | {now * 1000:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    parley_table(args.runs)
    strawberry_table(args.runs)


if __name__ == "__main__":
    main()
