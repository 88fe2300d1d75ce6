"""An operator's command on a case, as the cases subcommands that change one send it: a request
to the reaction's function URL, signed with the operator's AWS credentials. The reaction makes
the change, with the identity AWS authenticated as its actor, and records it, refused or not,
in the audit trail; its answer is reported here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bwp_privacy.cases import Case, CaseState
from bwp_privacy_cli.commands.cases.outputs import CaseActionOut
from bwp_privacy_cli.commands.cases.wording import iso
from bwp_privacy_cli.context import CliContext, UserError
from bwp_privacy_cli.operator_client import OperatorRequestRefused
from bwp_privacy_cli.output import console, plain, print_json
from bwp_privacy_cli.targets import Target


@dataclass(frozen=True)
class Operated:
    """The reaction's answer to an operator's command, and the case as it stands when the
    answer is that an ended case was left as it was (the answer names its state only)."""

    target: Target
    answer: dict[str, Any]
    ended: Case | None = None


def operate(cli: CliContext, request: dict[str, Any]) -> Operated:
    """An operator's command on a case, carried out (and recorded, refused or not, with the
    caller AWS authenticated) by the reaction; its answer."""
    with cli.target() as target:
        cli.announce(target)
        try:
            answer = target.operator_client().send(request)
        except OperatorRequestRefused as refused:
            raise UserError(str(refused)) from None
        ended = None
        if answer.get("outcome") == "unchanged" and _has_ended(answer.get("state")):
            # How and when it ended, for the operator who thought it open.
            ended = target.case_store().load(str(answer.get("caseId") or request["caseId"]))
    return Operated(target, answer, ended)


def _has_ended(state: object) -> bool:
    return state in {s.value for s in CaseState if s.ended}


def report(cli: CliContext, action: str, operated: Operated) -> None:
    """What the reaction did with ``action``, as --json or a line; for an ended case left as
    it was, how and when it ended."""
    target, answer = operated.target, operated.answer
    state = answer.get("state")
    task_id = answer.get("taskId")
    if cli.json:
        print_json(
            CaseActionOut(
                target=target.identity(),
                case_id=answer.get("caseId") or "",
                action=action,  # type: ignore[arg-type]
                outcome=answer["outcome"],
                state=state,
                task_id=task_id,
            )
        )
        return
    said = f"{action} case {answer.get('caseId')}: "
    if answer["outcome"] == "unchanged" and _has_ended(state):
        console.print(said + "nothing to do: " + _how_it_ended(str(state), operated.ended))
        return
    what = {"moved": "done", "unchanged": "nothing to do: the case is already as asked"}
    console.print(
        said + f"{what.get(answer['outcome'], answer['outcome'])}; state {state}"
        f"{f', task {task_id}' if task_id else ''}",
        markup=False,
    )


def _how_it_ended(state: str, case: Case | None) -> str:
    """How and when the case ended, as the operator who thought it open needs to hear it:
    ``already ended: CLOSED as cancelled on 2026-12-06T10:00:00Z (shopper withdrew)``."""
    said = f"already ended: {state}"
    if case is None:
        return said
    if case.closed_as:
        said += f" as {case.closed_as}"
    if case.ended_at:
        said += f" on {iso(case.ended_at)}"
    if case.state is CaseState.CLOSED and case.reason:
        # The operator's reason: outside text, printed as one line of plain text.
        said += f" ({plain(case.reason)})"
    return said
