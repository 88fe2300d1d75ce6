"""The API budget: one rate (requests per second to Buy with Prime) that every function
calling the API shares, whatever the number of execution environments.

A storm of failures starts many environments at once; each alone would send as fast as the
API answers. Before each request (GraphQL or token) a caller takes the next slot of a shared
schedule kept in one DynamoDB item (GCRA: the item holds the time the next request may go,
and each taker moves it one interval on, atomically), then waits for its slot. A slot that
would come after the caller must answer is not taken: `BudgetSpent` says how long the queue
is, and the caller's own retries (Lambda's, SQS's) come back later.
"""

from bwp_privacy.api_budget.gcra import next_allowed, take_slot
from bwp_privacy.api_budget.pacer import (
    API_KEY,
    TOKEN_KEY,
    BudgetSpent,
    DynamoPacer,
    Pacer,
    Unpaced,
)
from bwp_privacy.api_budget.settings import (
    DEFAULT_REQUESTS_PER_SECOND,
    TOKEN_REQUESTS_PER_SECOND,
    build_pacers,
)

__all__ = [
    "API_KEY",
    "DEFAULT_REQUESTS_PER_SECOND",
    "TOKEN_KEY",
    "TOKEN_REQUESTS_PER_SECOND",
    "BudgetSpent",
    "DynamoPacer",
    "Pacer",
    "Unpaced",
    "build_pacers",
    "next_allowed",
    "take_slot",
]
