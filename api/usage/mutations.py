"""Usage mutations: thin resolvers over the api/usage/ services."""

import strawberry

from api.core.context import Info
from api.core.error_types import error_of
from api.core.errors import DomainError
from api.core.ids import decode_id, decode_optional_id
from api.core.permissions import CanAdmin, CanWrite
from api.usage import budgets, catalog, recording, reports, repricing, reservations
from api.usage.payloads import (
    AddAiModelInput,
    AddAiModelPayload,
    AddAiModelResult,
    AiModelPricesInput,
    RecordAiUsageBatchInput,
    RecordAiUsageBatchPayload,
    RecordAiUsageBatchResult,
    RecordAiUsageInput,
    RecordAiUsagePayload,
    RecordAiUsageResult,
    ReleaseAiBudgetInput,
    ReleaseAiBudgetPayload,
    ReleaseAiBudgetResult,
    ReserveAiBudgetInput,
    ReserveAiBudgetPayload,
    ReserveAiBudgetResult,
    SetAiBudgetInput,
    SetAiBudgetPayload,
    SetAiBudgetResult,
    SetAiModelPriceInput,
    SetAiModelPricePayload,
    SetAiModelPriceResult,
)
from api.usage.pricing import ModelPrices, PriceTier
from api.usage.types import AiBudget, AiBudgetReservation, AiModel, AiModelPrice


def usage_report(input: RecordAiUsageInput) -> reports.UsageReport:
    """The service's report of an input (IDs decoded; BadInput names a bad one)."""
    return reports.UsageReport(
        model=input.model,
        operation=input.operation,
        ai_type=input.ai_type,
        input_tokens=input.input_tokens,
        output_tokens=input.output_tokens,
        cache_read_tokens=input.cache_read_tokens,
        cache_write_tokens=input.cache_write_tokens,
        cache_write_1h_tokens=input.cache_write_1h_tokens,
        input_tokens_include_cache=input.input_tokens_include_cache,
        reasoning_tokens=input.reasoning_tokens,
        output_tokens_include_reasoning=input.output_tokens_include_reasoning,
        latency_ms=input.latency_ms,
        request_id=input.request_id,
        occurred_at=input.occurred_at,
        conversation_id=decode_optional_id(
            input.conversation_id, "Conversation", field="conversationId"
        ),
        message_id=decode_optional_id(input.message_id, "ChatMessage", field="messageId"),
        contact_id=decode_optional_id(input.contact_id, "Contact", field="contactId"),
        user_id=decode_optional_id(input.user_id, "User", field="userId"),
        reservation_id=decode_optional_id(
            input.reservation_id, "AiBudgetReservation", field="reservationId"
        ),
    )


def model_prices(input: AiModelPricesInput) -> ModelPrices:
    return ModelPrices(
        input_per_mtok=input.input_per_mtok,
        output_per_mtok=input.output_per_mtok,
        cache_read_per_mtok=input.cache_read_per_mtok,
        cache_write_per_mtok=input.cache_write_per_mtok,
        cache_write_1h_per_mtok=input.cache_write_1h_per_mtok,
        reasoning_per_mtok=input.reasoning_per_mtok,
        tiers=tuple(
            PriceTier(
                above_tokens=tier.above_tokens,
                input_per_mtok=tier.input_per_mtok,
                output_per_mtok=tier.output_per_mtok,
                cache_read_per_mtok=tier.cache_read_per_mtok,
                cache_write_per_mtok=tier.cache_write_per_mtok,
                cache_write_1h_per_mtok=tier.cache_write_1h_per_mtok,
                reasoning_per_mtok=tier.reasoning_per_mtok,
            )
            for tier in input.tiers
        ),
    )


@strawberry.type
class UsageMutations:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Record one LLM call; Parley prices it. Idempotent by requestId.",
    )
    async def record_ai_usage(self, info: Info, input: RecordAiUsageInput) -> RecordAiUsageResult:
        recorded = await recording.record_usage(
            workspace_id=info.context.workspace_id, report=usage_report(input)
        )
        return RecordAiUsagePayload.from_recorded(recorded)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Record up to 1000 LLM calls; each is recorded or fails on its own.",
    )
    async def record_ai_usage_batch(
        self, info: Info, input: RecordAiUsageBatchInput
    ) -> RecordAiUsageBatchResult:
        decoded: list[reports.UsageReport | DomainError] = []
        for event in input.events:
            try:
                decoded.append(usage_report(event))
            except DomainError as error:
                decoded.append(error)
        results = await recording.record_usage_batch(
            workspace_id=info.context.workspace_id, reports=decoded
        )
        members = [
            error_of(result)
            if isinstance(result, DomainError)
            else RecordAiUsagePayload.from_recorded(result)
            for result in results
        ]
        failed = sum(isinstance(result, DomainError) for result in results)
        return RecordAiUsageBatchPayload(
            results=members, recorded=len(results) - failed, failed=failed
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Reserve a call's worst-case cost against a HARD budget, atomically.",
    )
    async def reserve_ai_budget(
        self, info: Info, input: ReserveAiBudgetInput
    ) -> ReserveAiBudgetResult:
        reservation = await reservations.reserve_budget(
            workspace_id=info.context.workspace_id,
            model_name=input.model,
            max_input_tokens=input.max_input_tokens,
            max_output_tokens=input.max_output_tokens,
            ttl_seconds=input.ttl_seconds,
        )
        return ReserveAiBudgetPayload(reservation=AiBudgetReservation.from_model(reservation))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Release a reservation whose call failed."
    )
    async def release_ai_budget(
        self, info: Info, input: ReleaseAiBudgetInput
    ) -> ReleaseAiBudgetResult:
        reservation = await reservations.release(
            workspace_id=info.context.workspace_id,
            reservation_id=decode_id(
                input.reservation_id, "AiBudgetReservation", field="reservationId"
            ),
        )
        return ReleaseAiBudgetPayload(reservation=AiBudgetReservation.from_model(reservation))

    @strawberry.mutation(
        permission_classes=[CanAdmin], description="Set the monthly AI budget (ADMIN)."
    )
    async def set_ai_budget(self, info: Info, input: SetAiBudgetInput) -> SetAiBudgetResult:
        state = await budgets.set_budget(
            workspace_id=info.context.workspace_id, amount_usd=input.amount_usd, mode=input.mode
        )
        return SetAiBudgetPayload(budget=AiBudget.from_state(state))

    @strawberry.mutation(
        permission_classes=[CanAdmin],
        description="Add your workspace's own model with its prices (ADMIN).",
    )
    async def add_ai_model(self, info: Info, input: AddAiModelInput) -> AddAiModelResult:
        added = await repricing.add_model_and_reprice(
            workspace_id=info.context.workspace_id,
            model=catalog.OwnModel(
                key=input.model_id,
                provider=input.provider,
                prices=model_prices(input.prices),
                display_name=input.display_name,
                context_window=input.context_window,
                max_output_tokens=input.max_output_tokens,
                capabilities=input.capabilities,
                aliases=input.aliases,
                effective_from=input.effective_from,
            ),
        )
        return AddAiModelPayload(
            ai_model=AiModel.from_model(added.model), repriced_events=added.repriced
        )

    @strawberry.mutation(
        permission_classes=[CanAdmin],
        description="Add a price version for your workspace: a negotiated rate (ADMIN).",
    )
    async def set_ai_model_price(
        self, info: Info, input: SetAiModelPriceInput
    ) -> SetAiModelPriceResult:
        added = await repricing.set_price_and_reprice(
            workspace_id=info.context.workspace_id,
            model_name=input.model_id,
            prices=model_prices(input.prices),
            effective_from=input.effective_from,
        )
        return SetAiModelPricePayload(
            ai_model=AiModel.from_model(added.model),
            price=AiModelPrice.from_model(added.price),
            repriced_events=added.repriced,
        )
