"""Starting a new task for a case (a deletion, or a retrieval for an access request): the one
place in the project that requests the shopper's email.

The email is read from the failed task (with the query of its kind) just before the start
mutation of the same kind, held in a local variable for that one call, and dropped. It is
never logged, traced, stored, published, put in an exception or a metric: every error raised
here is built from the API's classification (its type and code, each held to a grammar), never
from its message, which may echo the email it was sent. A retrieval task's
``dataRetrievalLink`` is never selected here either.
"""

from __future__ import annotations

from typing import Any, Protocol

from bwp_privacy.bwp_api import BwpApiError, UnknownApiError, start_mutation
from bwp_privacy.cases import CaseKind
from bwp_privacy.common import BwpPrivacyError
from bwp_privacy.partner_events import ID_PATTERN
from bwp_privacy.task_kinds import task_kind


def email_query(kind: str) -> str:
    """The query that reads the data subject of a failed task of ``kind``: with the start
    mutation, the only operations in the project that carry the shopper's email."""
    described = task_kind(kind)
    return (
        f"query {described.graphql_type}Subject($taskId: String!) {{\n"
        f"  {described.query_field}(taskId: $taskId) {{ dataSubject {{ type email }} }}\n"
        "}"
    )


EMAIL_QUERY = email_query("deletion")
RETRIEVAL_EMAIL_QUERY = email_query("retrieval")


class GraphQL(Protocol):
    """What resubmission needs of the API client (``BwpClient.execute``)."""

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]: ...


class CannotResubmit(BwpPrivacyError):
    """The attempt cannot start and retrying will not help (the email cannot be read, the API
    refuses the input): a person must act. The message never holds the email.

    ``email_unread`` says which: the failed task's email could not be read (an operator can
    supply it), or the start itself was refused (supplying the email would not help)."""

    def __init__(self, message: str, *, email_unread: bool) -> None:
        super().__init__(message)
        self.email_unread = email_unread


class Resubmitter:
    """Reads the email of a failed task and starts a new task of its kind with it, in one
    step."""

    def __init__(self, api: GraphQL) -> None:
        self._api = api

    def resubmit(
        self,
        business_product_id: str,
        source_task_id: str,
        *,
        client_token: str,
        holding_period_days: int,
        kind: CaseKind = "deletion",
        deadline: float | None = None,
    ) -> str:
        """Start the attempt; return the new task id. Transient API errors propagate (the
        attempt is retried with the same client token, so it starts one task at most)."""
        email = self._read_email(business_product_id, source_task_id, kind, deadline)
        return self.start(
            business_product_id,
            email,
            client_token=client_token,
            holding_period_days=holding_period_days,
            kind=kind,
            deadline=deadline,
        )

    def start(
        self,
        business_product_id: str,
        email: str,
        *,
        client_token: str,
        holding_period_days: int,
        kind: CaseKind = "deletion",
        deadline: float | None = None,
    ) -> str:
        """The start mutation of ``kind`` with an email held in memory (an operator may supply
        it). ``holding_period_days`` is sent only for a kind that has a holding period (a
        retrieval has none)."""
        described = task_kind(kind)
        mutation, field = start_mutation(kind), described.start_field
        task_input: dict[str, Any] = {
            "dataSubject": {"type": "SHOPPER", "email": email},
            "clientToken": {"token": client_token},
        }
        if described.holding_period:
            task_input["holdingPeriod"] = holding_period_days
        variables = {"input": task_input}
        try:
            data = self._api.execute(mutation, variables, business_product_id, deadline=deadline)
        except BwpApiError as error:
            if error.permanent:
                # Its classification only: the API's message may quote the email it refused,
                # and this text becomes the case's reason, its audit trail and its alert.
                raise CannotResubmit(
                    f"the start mutation was refused ({_refusal(error)})", email_unread=False
                ) from None
            raise
        finally:
            del variables, task_input, email
        started = data.get(field)
        if not isinstance(started, dict) or not isinstance(started.get("taskId"), str):
            raise UnknownApiError(f"{field} answered no taskId")
        task_id = str(started["taskId"])
        if not ID_PATTERN.fullmatch(task_id):
            # It would key the task's item and the case's link, and be shown everywhere: an id
            # that is not one is a refusal, said without its text.
            raise CannotResubmit(
                f"{field} answered a task id that is not an id", email_unread=False
            )
        return task_id

    def _read_email(
        self, business_product_id: str, task_id: str, kind: CaseKind, deadline: float | None
    ) -> str:
        query, field = email_query(kind), task_kind(kind).query_field
        try:
            data = self._api.execute(
                query, {"taskId": task_id}, business_product_id, deadline=deadline
            )
        except BwpApiError as error:
            if error.permanent:
                raise CannotResubmit(
                    f"the failed task {task_id} could not be read ({type(error).__name__})",
                    email_unread=True,
                ) from None
            raise
        task = data.get(field)
        subject = task.get("dataSubject") if isinstance(task, dict) else None
        email = subject.get("email") if isinstance(subject, dict) else None
        if not isinstance(email, str) or "@" not in email:
            raise CannotResubmit(
                f"the failed task {task_id} holds no email to resubmit with", email_unread=True
            )
        return email


def _refusal(error: BwpApiError) -> str:
    """The API's refusal as a case may keep it: its classification type and code."""
    code = f", code {error.code}" if error.code else ""
    return f"{error.classification}{code}"
