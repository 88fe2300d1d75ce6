"""Starting a new deletion for a case: the one place in the project that requests the
shopper's email.

The email is read from the failed task just before the start mutation, held in a local
variable for that one call, and dropped. It is never logged, traced, stored, published, put
in an exception or a metric: every error raised here is built from the API's error type and
a message with email addresses masked.
"""

from __future__ import annotations

from typing import Any, Protocol

from bwp_privacy.bwp_api import BwpApiError, UnknownApiError
from bwp_privacy.common import BwpPrivacyError, mask_emails

# The only query in the project that selects the data subject's email.
EMAIL_QUERY = """
query PersonalDataDeletionTaskSubject($taskId: String!) {
  personalDataDeletionTask(taskId: $taskId) { dataSubject { type email } }
}
""".strip()

START_MUTATION = """
mutation StartPersonalDataDeletionTask($input: StartPersonalDataDeletionTaskInput!) {
  startPersonalDataDeletionTask(input: $input) { taskId }
}
""".strip()


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
    refuses the input): a person must act. The message never holds the email."""


class Resubmitter:
    """Reads the email of a failed task and starts a new deletion with it, in one step."""

    def __init__(self, api: GraphQL) -> None:
        self._api = api

    def resubmit(
        self,
        business_product_id: str,
        source_task_id: str,
        *,
        client_token: str,
        holding_period_days: int,
        deadline: float | None = None,
    ) -> str:
        """Start the attempt; return the new task id. Transient API errors propagate (the
        attempt is retried with the same client token, so it starts one task at most)."""
        email = self._read_email(business_product_id, source_task_id, deadline)
        return self.start(
            business_product_id,
            email,
            client_token=client_token,
            holding_period_days=holding_period_days,
            deadline=deadline,
        )

    def start(
        self,
        business_product_id: str,
        email: str,
        *,
        client_token: str,
        holding_period_days: int,
        deadline: float | None = None,
    ) -> str:
        """The start mutation with an email held in memory (an operator may supply it)."""
        variables = {
            "input": {
                "dataSubject": {"type": "SHOPPER", "email": email},
                "holdingPeriod": holding_period_days,
                "clientToken": {"token": client_token},
            }
        }
        try:
            data = self._api.execute(
                START_MUTATION, variables, business_product_id, deadline=deadline
            )
        except BwpApiError as error:
            if error.permanent:
                raise CannotResubmit(
                    f"the start mutation was refused ({type(error).__name__}: "
                    f"{mask_emails(str(error))})"
                ) from None
            raise
        finally:
            del variables, email
        started = data.get("startPersonalDataDeletionTask")
        if not isinstance(started, dict) or not isinstance(started.get("taskId"), str):
            raise UnknownApiError("startPersonalDataDeletionTask answered no taskId")
        return str(started["taskId"])

    def _read_email(self, business_product_id: str, task_id: str, deadline: float | None) -> str:
        try:
            data = self._api.execute(
                EMAIL_QUERY, {"taskId": task_id}, business_product_id, deadline=deadline
            )
        except BwpApiError as error:
            if error.permanent:
                raise CannotResubmit(
                    f"the failed task {task_id} could not be read ({type(error).__name__})"
                ) from None
            raise
        task = data.get("personalDataDeletionTask")
        subject = task.get("dataSubject") if isinstance(task, dict) else None
        email = subject.get("email") if isinstance(subject, dict) else None
        if not isinstance(email, str) or "@" not in email:
            raise CannotResubmit(f"the failed task {task_id} holds no email to resubmit with")
        return email
