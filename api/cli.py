"""The `parley` command: serve, migrate, seed the demo, export the schema, manage tenants."""

import asyncio
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import typer
import uvicorn
from tortoise import Tortoise

from api import db
from api.core import auth
from api.core.errors import BadInput, DomainError
from api.core.ids import decode_id, encode_id
from api.core.logs import log_config
from api.settings import Settings, SettingsError, check_servable, load_settings
from models.enums import Role

T = TypeVar("T")

ID_FORMS = "the ID the API returns, or its UUID"
WORKSPACE_HELP = f"The workspace ({ID_FORMS})."

cli = typer.Typer(help="Parley: the GraphQL backend of AI-assisted inboxes.", no_args_is_help=True)
workspace_cli = typer.Typer(help="Workspaces.", no_args_is_help=True)
apikey_cli = typer.Typer(help="API keys.", no_args_is_help=True)
user_cli = typer.Typer(help="Users.", no_args_is_help=True)
pricing_cli = typer.Typer(help="The LLM price catalog.", no_args_is_help=True)
budget_cli = typer.Typer(help="Monthly AI budgets.", no_args_is_help=True)
cli.add_typer(workspace_cli, name="workspace")
cli.add_typer(pricing_cli, name="pricing")
cli.add_typer(budget_cli, name="budget")
cli.add_typer(apikey_cli, name="apikey")
cli.add_typer(user_cli, name="user")


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        _refuse_setting(exc)


def _refuse_setting(exc: SettingsError) -> NoReturn:
    typer.echo(f"parley: {exc}", err=True)
    raise typer.Exit(2) from None


def _fail(message: str) -> NoReturn:
    typer.echo(f"parley: {message}", err=True)
    raise typer.Exit(1)


def run_with_db(work: Callable[[], Awaitable[T]], *, settings: Settings | None = None) -> T:
    """Open the database (which must be migrated), run `work`, close. Domain errors and a
    database that is behind end the command with one line on stderr."""
    settings = settings or _settings()

    async def main() -> T:
        await db.check_reachable(settings.database_url)
        await Tortoise.init(config=settings.tortoise_orm)
        try:
            await db.ensure_migrated()
            return await work()
        finally:
            await Tortoise.close_connections()

    try:
        # events go to NO_EVENTS (the default sink): a command has no subscribers
        with auth.hashing_with(auth.Keyring.from_settings(settings)):
            return asyncio.run(main())
    except (DomainError, db.DatabaseBehind, db.DatabaseUnavailable) as exc:
        _fail(str(exc))
        raise AssertionError from exc  # unreachable: _fail exits


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Interface (default PARLEY_HOST)."),
    port: int | None = typer.Option(None, help="Port (default PARLEY_PORT)."),
    workers: int | None = typer.Option(None, help="Worker processes (default PARLEY_WORKERS)."),
) -> None:
    """Serve /graphql, /healthz, /readyz and /metrics with uvicorn."""
    settings = _settings(host=host, port=port, workers=workers)
    try:
        check_servable(settings)
    except SettingsError as exc:
        _refuse_setting(exc)

    async def check() -> None:
        return None

    run_with_db(check, settings=settings)  # refuse to start on a database that is behind
    typer.echo(_serving_hint(_graphql_url(settings.host, settings.port)))
    _run_uvicorn(settings)


def _run_uvicorn(settings: Settings) -> None:
    """uvicorn with Parley's logging (JSON lines with request ids, api/core/logs.py) and, for
    several workers, a fresh directory for their shared metrics (api/core/metrics.py),
    removed afterwards; a PROMETHEUS_MULTIPROC_DIR set by the operator is used as it is."""
    metrics_dir: str | None = None
    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if chosen is not None and not os.path.isdir(chosen):
        _fail(f"PROMETHEUS_MULTIPROC_DIR: {chosen} is not a directory")
    if settings.workers > 1 and chosen is None:
        # set before uvicorn spawns the workers: each decides at import where metrics live
        metrics_dir = tempfile.mkdtemp(prefix="parley-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            log_config=log_config(
                settings.log_level, settings.log_format, settings.log_max_value_chars
            ),
            access_log=False,  # Parley writes its own access lines, with the request id
            ws_ping_interval=20,
            ws_ping_timeout=20,
            ws_max_size=settings.max_body_bytes,  # a larger WebSocket message closes it (1009)
            timeout_graceful_shutdown=5,
            env_file=None,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _graphql_url(host: str, port: int) -> str:
    """The /graphql URL a browser on this machine reaches the server at (a wildcard
    interface is reached through loopback; an IPv6 literal goes in brackets)."""
    reachable = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in reachable:
        reachable = f"[{reachable.strip('[]')}]"
    return f"http://{reachable}:{port}/graphql"


def _serving_hint(graphql_url: str) -> str:
    return (
        f"Parley at {graphql_url} (GraphiQL in a browser); try:\n"
        "  curl -H 'Authorization: Bearer <API key>' -H 'content-type: application/json' "
        f'-d \'{{"query":"{{ viewer {{ role }} }}"}}\' {graphql_url}'
    )


@cli.command()
def migrate() -> None:
    """Apply the pending database migrations."""
    settings = _settings()

    async def main() -> list[str]:
        await db.check_reachable(settings.database_url)
        return await db.migrate(settings.tortoise_orm)

    try:
        applied = asyncio.run(main())
    except db.DatabaseUnavailable as exc:
        _fail(str(exc))

    typer.echo(f"Applied {len(applied)} migration(s)." if applied else "Up to date.")


@cli.command("export-schema")
def export_schema(
    output: Path = typer.Option(Path("schema.graphql"), help="Where to write ('-': stdout)."),
) -> None:
    """Write the GraphQL schema (SDL) generated from the code."""
    from api.schema import schema

    text = schema.as_str() + "\n"
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"Wrote {output}")


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo workspace on first run; print its id, login and API key (the one
    saved by the last run while it still works, else a new one replacing it)."""
    from api.demo import demo_key_file, seed_demo

    settings = _settings()
    key_file = demo_key_file(settings)

    async def work() -> Any:
        return await seed_demo(key_file=key_file)

    typer.echo(run_with_db(work, settings=settings).describe())


def _id_option(value: str, type_name: str, *, option: str) -> UUID:
    """The UUID an id option names: the global ID the API hands out for a `type_name`
    (e.g. `V29ya3NwYWNlOi4uLg==`) or the raw UUID inside it. Anything else ends the command
    with one line naming the option."""
    try:
        return UUID(value)
    except ValueError:
        pass
    try:
        return decode_id(value, type_name, field=option)
    except BadInput:
        _fail(f"{option}: {value!r} is neither a {type_name} ID nor a UUID")


def _workspace_option(value: str | None) -> UUID | None:
    return None if value is None else _id_option(value, "Workspace", option="--workspace")


def _shown_id(type_name: str, key: UUID) -> str:
    """How a command prints an id: the global ID the API uses, then the UUID (the CLI takes
    either)."""
    return f"{encode_id(type_name, key)} (UUID {key})"


def _role(value: str) -> Role:
    try:
        return Role(value.upper())
    except ValueError:
        _fail(f"--role: use one of {', '.join(r.value for r in Role)}")
        raise


@workspace_cli.command("create")
def workspace_create(
    name: str = typer.Option(..., help="The workspace's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a workspace and an OWNER API key for it."""
    from api.tenancy import service

    async def work() -> dict[str, str]:
        workspace = await service.create_workspace(name=name)
        issued = await service.create_api_key(
            workspace_id=workspace.id, actor=None, name="owner key", role=Role.OWNER
        )
        return {
            "workspaceId": encode_id("Workspace", workspace.id),
            "workspaceUuid": str(workspace.id),
            "apiKey": issued.secret,
        }

    result = run_with_db(work)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        shown = _shown_id("Workspace", UUID(result["workspaceUuid"]))
        typer.echo(f"Workspace {shown}\nOwner API key: {result['apiKey']}")


@apikey_cli.command("create")
def apikey_create(
    workspace: str = typer.Option(..., help=WORKSPACE_HELP),
    name: str = typer.Option(..., help="What the key is for."),
    role: str = typer.Option("AGENT", help="OWNER, ADMIN, AGENT or VIEWER."),
) -> None:
    """Create an API key; the key is printed once."""
    from api.tenancy import service

    workspace_id = _id_option(workspace, "Workspace", option="--workspace")
    key_role = _role(role)

    async def work() -> str:
        await _require_workspace(workspace_id)
        issued = await service.create_api_key(
            workspace_id=workspace_id, actor=None, name=name, role=key_role
        )
        return issued.secret

    typer.echo(run_with_db(work))


@apikey_cli.command("revoke")
def apikey_revoke(
    key: str = typer.Argument(
        ...,
        metavar="KEY",
        help="The key's visible prefix (prly_xxxxxxxx), the key itself, or its " + ID_FORMS,
    ),
) -> None:
    """Revoke an API key by its prefix (prly_xxxxxxxx), the key, or its id."""
    from api.tenancy import service

    by_id = None if key.startswith(auth.API_KEY_PREFIX) else _id_option(key, "ApiKey", option="KEY")
    shown = key[:PREFIX_LENGTH] if by_id is None else key  # never echo a whole secret

    async def work() -> None:
        found = await _find_api_key(key, by_id)
        if found is None:
            _fail(f"no API key {shown}")
            return
        await service.revoke_api_key(
            workspace_id=found.workspace_id, actor=None, api_key_id=found.id
        )

    run_with_db(work)
    typer.echo(f"Revoked {shown}")


PREFIX_LENGTH = len(auth.API_KEY_PREFIX) + 8  # prly_ and 8 hex digits


async def _find_api_key(key: str, by_id: UUID | None) -> Any:
    import models

    if by_id is not None:
        return await models.ApiKey.get_or_none(id=by_id)
    if len(key) == PREFIX_LENGTH:
        return await models.ApiKey.get_or_none(prefix=key)
    return await models.ApiKey.get_or_none(key_hash=auth.token_hash(key))  # the whole key


@user_cli.command("create")
def user_create(
    email: str = typer.Option(..., help="Login e-mail."),
    name: str = typer.Option(..., help="Full name."),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="Password."),
    workspace: str | None = typer.Option(None, help="Add to this workspace (" + ID_FORMS + ")."),
    role: str = typer.Option("AGENT", help="Role in the workspace."),
) -> None:
    """Create a user, optionally as a member of a workspace."""
    from api.tenancy import service

    workspace_id = _workspace_option(workspace)
    member_role = _role(role)

    async def work() -> UUID:
        if workspace_id is not None:
            await _require_workspace(workspace_id)
        user = await service.create_user(email=email, name=name, password=password)
        if workspace_id is not None:
            await service.add_member(workspace_id=workspace_id, user_id=user.id, role=member_role)
        return user.id

    typer.echo(f"User {_shown_id('User', run_with_db(work))}")


@pricing_cli.command("import")
def pricing_import(
    file: Path = typer.Argument(..., help="LiteLLM's model_prices_and_context_window.json."),
    effective_from: datetime | None = typer.Option(
        None, help="Changed prices are in force from (ISO time, UTC if no zone; default now)."
    ),
    reprice: bool = typer.Option(True, help="Then price unpriced usage the file now covers."),
) -> None:
    """Import the per-token priced text models of a LiteLLM price file into the catalog."""
    from api.usage import catalog, repricing
    from api.usage.litellm import load_litellm_file

    def aware(value: datetime | None) -> datetime | None:
        if value is None or value.utcoffset() is not None:
            return value
        return value.replace(tzinfo=UTC)

    async def work() -> str:
        parsed = load_litellm_file(file)
        result = await catalog.import_catalog(
            parsed.models, source="litellm", effective_from=aware(effective_from)
        )
        skipped = ", ".join(f"{n} {reason}" for reason, n in parsed.skipped.items()) or "none"
        lines = [
            f"Imported {result.models} models: {result.created} new, {result.updated} "
            f"updated, {result.unchanged} unchanged; {result.prices_added} price versions "
            f"added. Skipped {parsed.skipped_total} entries ({skipped}).",
        ]
        if reprice:
            repriced = await repricing.reprice_unpriced()
            lines.append(_repriced_line(repriced))
        return "\n".join(lines)

    typer.echo(run_with_db(work))


def _repriced_line(result: Any) -> str:
    return f"Repriced {result.priced} usage events; {result.still_unpriced} still unpriced."


@pricing_cli.command("reprice")
def pricing_reprice(
    workspace: str | None = typer.Option(
        None, help="Only this workspace (" + ID_FORMS + "; default all)."
    ),
) -> None:
    """Price usage recorded for models that were unknown or unpriced at the time."""
    from api.usage import repricing

    workspace_id = _workspace_option(workspace)

    async def work() -> Any:
        if workspace_id is not None:
            await _require_workspace(workspace_id)
        return await repricing.reprice_unpriced(workspace_id=workspace_id)

    typer.echo(_repriced_line(run_with_db(work)))


@budget_cli.command("set")
def budget_set(
    workspace: str = typer.Option(..., help=WORKSPACE_HELP),
    amount: str = typer.Option(..., help="USD a calendar month, e.g. 250 or 99.50."),
    mode: str = typer.Option("SOFT", help="SOFT (announce thresholds) or HARD (refuse)."),
) -> None:
    """Set a workspace's monthly AI budget."""
    from decimal import Decimal, InvalidOperation

    from api.usage import budgets
    from models.usage import BudgetMode

    try:
        amount_usd, budget_mode = Decimal(amount), BudgetMode(mode.upper())
    except (InvalidOperation, ValueError):
        _fail("--amount must be a number and --mode SOFT or HARD")
        raise

    workspace_id = _id_option(workspace, "Workspace", option="--workspace")

    async def work() -> Any:
        await _require_workspace(workspace_id)
        return await budgets.set_budget(
            workspace_id=workspace_id, amount_usd=amount_usd, mode=budget_mode
        )

    state = run_with_db(work)
    typer.echo(f"Budget {state.limit_usd} USD ({budget_mode.value}); spent {state.spent_usd}.")


@budget_cli.command("release-expired")
def budget_release_expired() -> None:
    """Release budget reservations that expired unsettled (also done lazily)."""
    from api.usage import reservations

    async def work() -> int:
        return await reservations.release_expired()

    typer.echo(f"Released {run_with_db(work)} expired reservation(s).")


async def _require_workspace(workspace_id: UUID) -> None:
    """End the command with one line when there is no such workspace."""
    import models

    if not await models.Workspace.exists(id=workspace_id):
        _fail(f"--workspace: no workspace {_shown_id('Workspace', workspace_id)}")


def main() -> None:
    cli()
