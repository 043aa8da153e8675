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
from api.core.errors import DomainError
from api.core.logs import log_config
from api.settings import Settings, SettingsError, check_servable, load_settings
from models.enums import Role

T = TypeVar("T")

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


def _fail(message: str) -> None:
    typer.echo(f"parley: {message}", err=True)
    raise typer.Exit(1)


def run_with_db(work: Callable[[], Awaitable[T]], *, settings: Settings | None = None) -> T:
    """Open the database (which must be migrated), run `work`, close. Domain errors and a
    database that is behind end the command with one line on stderr."""
    settings = settings or _settings()

    async def main() -> T:
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
    except (DomainError, db.DatabaseBehind) as exc:
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


@cli.command()
def migrate() -> None:
    """Apply the pending database migrations."""
    settings = _settings()
    applied = asyncio.run(db.migrate(settings.tortoise_orm))
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
    """Create the demo workspace on first run; print its login and a fresh API key."""
    from api.demo import seed_demo

    demo = run_with_db(seed_demo)
    typer.echo(demo.describe())


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
        return {"workspaceId": str(workspace.id), "apiKey": issued.secret}

    result = run_with_db(work)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(f"Workspace {result['workspaceId']}\nOwner API key: {result['apiKey']}")


@apikey_cli.command("create")
def apikey_create(
    workspace: UUID = typer.Option(..., help="Workspace id."),
    name: str = typer.Option(..., help="What the key is for."),
    role: str = typer.Option("AGENT", help="OWNER, ADMIN, AGENT or VIEWER."),
) -> None:
    """Create an API key; the key is printed once."""
    from api.tenancy import service

    async def work() -> str:
        if not await _workspace_exists(workspace):
            _fail(f"no workspace {workspace}")
        issued = await service.create_api_key(
            workspace_id=workspace, actor=None, name=name, role=_role(role)
        )
        return issued.secret

    typer.echo(run_with_db(work))


@apikey_cli.command("revoke")
def apikey_revoke(prefix: str = typer.Argument(..., help="The key's visible prefix.")) -> None:
    """Revoke an API key by its prefix (prly_xxxxxxxx)."""
    import models
    from api.tenancy import service

    async def work() -> None:
        key = await models.ApiKey.get_or_none(prefix=prefix)
        if key is None:
            _fail(f"no API key with prefix {prefix}")
            return
        await service.revoke_api_key(workspace_id=key.workspace_id, actor=None, api_key_id=key.id)

    run_with_db(work)
    typer.echo(f"Revoked {prefix}")


@user_cli.command("create")
def user_create(
    email: str = typer.Option(..., help="Login e-mail."),
    name: str = typer.Option(..., help="Full name."),
    password: str = typer.Option(..., prompt=True, hide_input=True, help="Password."),
    workspace: UUID | None = typer.Option(None, help="Add to this workspace."),
    role: str = typer.Option("AGENT", help="Role in the workspace."),
) -> None:
    """Create a user, optionally as a member of a workspace."""
    from api.tenancy import service

    async def work() -> str:
        if workspace is not None and not await _workspace_exists(workspace):
            _fail(f"no workspace {workspace}")
        user = await service.create_user(email=email, name=name, password=password)
        if workspace is not None:
            await service.add_member(workspace_id=workspace, user_id=user.id, role=_role(role))
        return str(user.id)

    typer.echo(f"User {run_with_db(work)}")


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
    workspace: UUID | None = typer.Option(None, help="Only this workspace (default all)."),
) -> None:
    """Price usage recorded for models that were unknown or unpriced at the time."""
    from api.usage import repricing

    async def work() -> Any:
        return await repricing.reprice_unpriced(workspace_id=workspace)

    typer.echo(_repriced_line(run_with_db(work)))


@budget_cli.command("set")
def budget_set(
    workspace: UUID = typer.Option(..., help="Workspace id."),
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

    async def work() -> Any:
        if not await _workspace_exists(workspace):
            _fail(f"no workspace {workspace}")
        return await budgets.set_budget(
            workspace_id=workspace, amount_usd=amount_usd, mode=budget_mode
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


async def _workspace_exists(workspace_id: UUID) -> bool:
    import models

    return await models.Workspace.exists(id=workspace_id)


def main() -> None:
    cli()
