"""The budget's defaults, and the pacers a function builds once, at cold start."""

from __future__ import annotations

from typing import Any

from bwp_privacy.api_budget.pacer import API_KEY, TOKEN_KEY, DynamoPacer, Pacer, Unpaced

#: Buy with Prime publishes no rate limit (README, "Storms"): 10 requests per second records
#: a storm of 100,000 failures in under 3 hours, inside the 6 hours Lambda keeps retrying a
#: throttled event, while the API sees a steady trickle instead of a burst.
DEFAULT_REQUESTS_PER_SECOND = 10.0
#: Token requests, fleet-wide: many in quick succession with one client id "can cause
#: throttling" (Buy with Prime, "Authentication"). Each also takes a slot of the budget.
TOKEN_REQUESTS_PER_SECOND = 1.0


def build_pacers(
    table_name: str | None, requests_per_second: float, dynamodb: Any | None
) -> tuple[Pacer, Pacer]:
    """(every request's pacer, the token requests' pacer); unpaced without a table (a local
    script, the CLI)."""
    if table_name is None or dynamodb is None:
        return Unpaced(), Unpaced()
    api = DynamoPacer(dynamodb, table_name, API_KEY, requests_per_second)
    tokens = DynamoPacer(
        dynamodb, table_name, TOKEN_KEY, min(TOKEN_REQUESTS_PER_SECOND, requests_per_second)
    )
    return api, tokens
