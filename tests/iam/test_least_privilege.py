"""Least privilege both ways, from what the functions really call under the template's IAM.

Every AWS call in the suite goes through the local AWS, which refuses what the calling
function's role does not allow (and the sandbox fixture fails any test that saw a refusal).
Here a full run of each function lists the actions it calls beside the actions its role
grants: no call without a grant, no grant without a call, and taking any one statement away
from a role makes that function's run fail.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import ClientError

from bwp_privacy_cli.local import LocalFunction, LocalLambdaContext
from bwp_sandbox.iam import Role, Statement
from bwp_sandbox.iam.managed import MANAGED_POLICIES
from bwp_sandbox.sandbox import INBOUND, REACTION, RECORDER, ROUTER, WATCH, Sandbox
from bwp_sandbox.stack import load_template
from tests.iam.scenarios import (
    SHIPPED_CATALOGUE,
    SHIPPED_ROUTES,
    inbound_run,
    reaction_run,
    recorder_run,
    router_run,
    watch_run,
    with_every_option,
)

pytestmark = pytest.mark.integration

RUNS: dict[str, Callable[[Sandbox], None]] = {
    RECORDER: recorder_run,
    ROUTER: router_run,
    REACTION: reaction_run,
    WATCH: watch_run,
    INBOUND: inbound_run,
}
MANAGED = {arn.rsplit("/", 1)[-1] for arn in MANAGED_POLICIES}
#: Statements SAM writes for a function beside its Policies (by policy name).
SAM_STATEMENTS = {
    RECORDER: ["RecorderFunctionEventInvokeConfigOnFailureSQSPolicy"],
    REACTION: ["ReactionFunctionEventInvokeConfigOnFailureSQSPolicy"],
}


def _declared(function: str) -> list[str]:
    """The Sids the template's Policies give a function (each conditional one as if on)."""
    policies = load_template()["Resources"][function]["Properties"]["Policies"]
    statements = [s for policy in policies for s in policy["Statement"]]
    return [str((s["If"][1] if "If" in s else s)["Sid"]) for s in statements]


STATEMENTS = [(f, sid) for f in RUNS for sid in [*_declared(f), *SAM_STATEMENTS.get(f, [])]]


def _inline(role: Role) -> list[Statement]:
    return [s for s in role.statements if s.policy not in MANAGED]


def _key(statement: Statement) -> str:
    return statement.sid or statement.policy


def _covers(granted: str, actions: set[str]) -> bool:
    """Whether a granted action (``kms:GenerateDataKey*`` is a pattern) covers one of
    ``actions``; actions compare case-insensitively, as in IAM."""
    return any(fnmatch.fnmatchcase(action.lower(), granted.lower()) for action in actions)


def test_each_function_calls_exactly_what_its_role_grants(sandbox: Sandbox) -> None:
    deployed = with_every_option(sandbox)
    router_run(deployed)
    recorder_run(deployed)
    reaction_run(deployed)
    watch_run(deployed)
    inbound_run(deployed)
    records = deployed.aws.iam.records()
    assert [r for r in records if not r.allowed] == []  # no call without a grant
    called: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        assert record.statement is not None
        called[record.function][record.statement].add(record.action)
    listing = []
    unused = []
    for function, role in deployed.aws.iam.roles().items():
        for statement in _inline(role):
            used = called[function].get(statement.name, set())
            listing.append(
                f"{function} {_key(statement)}: grants {statement.actions}, called {sorted(used)}"
            )
            unused += [
                f"{function} {_key(statement)}: {action} on {statement.resources}"
                for action in statement.actions
                if not _covers(action, used)
            ]
    assert unused == [], "granted, never called:\n" + "\n".join(listing)
    # Lambda's own calls with the role (the SQS event source) come from managed policies.
    platform = {
        action
        for function in called
        for name, actions in called[function].items()
        if name.split("/", 1)[0] in MANAGED
        for action in actions
    }
    assert platform == {"sqs:ReceiveMessage", "sqs:DeleteMessage"}


def test_every_inline_statement_of_each_role_is_one_the_template_declares(
    sandbox: Sandbox,
) -> None:
    deployed = with_every_option(sandbox)
    for function, role in deployed.aws.iam.roles().items():
        keys = sorted(_key(s) for s in _inline(role))
        assert keys == sorted(sid for f, sid in STATEMENTS if f == function)


@pytest.mark.iam_denials_expected
@pytest.mark.parametrize(("function", "sid"), STATEMENTS, ids=[f"{f}-{s}" for f, s in STATEMENTS])
def test_taking_any_statement_away_makes_the_function_fail(
    sandbox: Sandbox, function: str, sid: str
) -> None:
    deployed = with_every_option(sandbox)
    role = deployed.aws.iam.roles()[function]
    [statement] = [s for s in _inline(role) if _key(s) == sid]
    deployed.aws.iam.register(role.without(statement))
    with pytest.raises(Exception):  # noqa: B017, PT011 (whatever the function raises, or the check)
        RUNS[function](deployed)
    refused = {r.action for r in deployed.aws.iam.denied() if r.function == function}
    assert any(_covers(action, refused) for action in statement.actions), deployed.aws.iam.denied()


@pytest.mark.parametrize("name", ["/bwp-privacy/routes", "bwp-privacy-routes"])
def test_the_routes_parameter_is_readable_by_either_name_form(sandbox: Sandbox, name: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=name, Value=SHIPPED_ROUTES.read_text(), Type="String", Overwrite=True
    )
    router = sandbox.deploy(RoutesParameterName=name).router.cold_start()
    answer = router.handler({"Records": []}, LocalLambdaContext())
    assert answer == {"batchItemFailures": []}
    assert any(r.action == "ssm:GetParameter" and r.allowed for r in sandbox.aws.iam.records())


@pytest.mark.parametrize("name", ["/bwp-privacy/catalogue", "bwp-privacy-catalogue"])
def test_the_catalogue_parameter_is_readable_by_either_name_form(
    sandbox: Sandbox, name: str
) -> None:
    boto3.client("ssm").put_parameter(
        Name=name, Value=SHIPPED_CATALOGUE.read_text(), Type="String", Overwrite=True
    )
    router = sandbox.deploy(CatalogueParameterName=name).router.cold_start()
    answer = router.handler({"Records": []}, LocalLambdaContext())
    assert answer == {"batchItemFailures": []}
    read = [r for r in sandbox.aws.iam.records() if r.action == "ssm:GetParameter"]
    assert read
    assert all(r.allowed for r in read)


@pytest.mark.iam_denials_expected
def test_a_call_in_code_without_a_grant_is_refused_as_aws_refuses_it(sandbox: Sandbox) -> None:
    """Whatever client the code makes, and whenever: it signs with the role's credentials."""

    def scan_handler(event: object, context: object) -> object:
        return boto3.client("dynamodb").scan(TableName=sandbox.stack.failures_table_name)

    recorder = sandbox.recorder.cold_start()
    sneaky = LocalFunction(
        logical_id=recorder.logical_id,
        handler_path="tests.iam.test_least_privilege.scan_handler",
        environment=recorder.environment,
    )
    sneaky.module = _Module(scan_handler)  # type: ignore[assignment]
    with pytest.raises(ClientError) as refused:
        sneaky.handler({}, LocalLambdaContext())
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/RecorderFunctionRole/"
        "RecorderFunction is not authorized to perform: dynamodb:Scan on resource: "
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{sandbox.stack.failures_table_name} "
        "because no identity-based policy allows the dynamodb:Scan action"
    )


class _Module:
    def __init__(self, handler: Callable[[object, object], object]) -> None:
        self.scan_handler = handler
