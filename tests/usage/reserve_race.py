"""One process of the budget race: N concurrent reservations against a shared database.

    python -m tests.usage.reserve_race DATABASE_URL WORKSPACE_ID N START_AT

Waits until the wall clock reaches START_AT (so two processes start together), then
prints a JSON list of granted amounts (as strings) and the number refused.
"""

import asyncio
import json
import sys
import time
from uuid import UUID

from tortoise import Tortoise

from api.core.errors import QuotaExceeded
from api.settings import tortoise_config
from api.usage import reservations


async def main(database_url: str, workspace_id: UUID, attempts: int, start_at: float) -> None:
    await Tortoise.init(config=tortoise_config(database_url, pool_size=attempts))
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))

        async def one() -> str | None:
            try:
                reservation = await reservations.reserve_budget(
                    workspace_id=workspace_id,
                    model_name="claude-3-haiku-20240307",
                    max_input_tokens=1000,
                    max_output_tokens=1000,
                )
            except QuotaExceeded:
                return None
            return str(reservation.amount_pico)

        outcomes = await asyncio.gather(*(one() for _ in range(attempts)))
    finally:
        await Tortoise.close_connections()
    granted = [o for o in outcomes if o is not None]
    print(json.dumps({"granted": granted, "refused": len(outcomes) - len(granted)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], UUID(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
