"""Can the stack talk to Buy with Prime: the credentials secret is there and well-formed,
gives a token, may read privacy tasks, and the four event types are subscribed to the
partner event source."""

from __future__ import annotations

from typing import cast

from bwp_privacy.bwp_api import BwpApiError, BwpClient, ClientCredentials
from bwp_privacy.common import BwpPrivacyError
from bwp_privacy.contract import TaskKind
from bwp_privacy.task_kinds import TASK_KINDS
from bwp_privacy_cli.doctor.findings import Finding, failed, passed, warned
from bwp_privacy_cli.doctor.keys import key_problem
from bwp_privacy_cli.doctor.view import StackView
from bwp_privacy_cli.onboarding import (
    ApiEndpoints,
    CredentialsError,
    CredentialsSecret,
    Destination,
    Subscriptions,
    connect,
    missing_types,
    probe_privacy_permission,
)

CREDENTIALS = "credentials"
PERMISSION = "privacy permission"
SUBSCRIPTIONS = "subscriptions"


def api_checks(view: StackView) -> list[Finding]:
    secret_id = view.target.function_env.get("BWP_CREDENTIALS_SECRET_ID", "")
    secrets = view.client("secretsmanager")
    secret = CredentialsSecret(secrets, secret_id)
    try:
        credentials = secret.read()
    except CredentialsError as error:
        return [failed(CREDENTIALS, str(error), "`bwp-privacy setup --client-id ID`")]
    if credentials is None:
        return [
            failed(
                CREDENTIALS,
                f"no secret {secret_id}: the functions cannot get a token",
                "`bwp-privacy setup --client-id ID --target-id BP` (it writes the secret)",
            )
        ]
    findings: list[Finding] = []
    kms = key_problem(
        view,
        f"{CREDENTIALS} key",
        secrets.describe_secret(SecretId=secret_id).get("KmsKeyId"),
        f"secret {secret_id}",
    )
    if kms is not None:
        findings.append(kms)
    endpoints = ApiEndpoints.from_env(view.target.function_env)
    try:
        client = connect(endpoints, credentials)
    except CredentialsError as error:
        return [*findings, failed(CREDENTIALS, str(error), "`bwp-privacy setup --client-id ID`")]
    findings.append(
        passed(CREDENTIALS, f"{secret_id}: client id {credentials.client_id} gets a token")
    )
    return findings + _permission_and_subscriptions(view, client, credentials)


def _permission_and_subscriptions(
    view: StackView, client: BwpClient, credentials: ClientCredentials
) -> list[Finding]:
    latest = view.latest_failure
    target = credentials.target_id or (latest or {}).get("businessProductId")
    if not target:
        fix = "`bwp-privacy setup --target-id BP` (it keeps the business product in the secret)"
        return [
            warned(PERMISSION, "no business product id to ask the API with", fix),
            warned(SUBSCRIPTIONS, "no business product id to ask the API with", fix),
        ]
    task: tuple[str, TaskKind] | None = None
    if latest and latest.get("businessProductId") == target:
        # A failure stored before 1.1 (no taskKind) is a deletion.
        stored_kind = latest.get("taskKind")
        kind: TaskKind = cast(TaskKind, stored_kind) if stored_kind in TASK_KINDS else "deletion"
        task = (str(latest["taskId"]), kind)
    findings = [_permission(client, str(target), task)]
    findings.append(_subscriptions(view, Subscriptions(client, str(target))))
    return findings


def _permission(client: BwpClient, target: str, task: tuple[str, TaskKind] | None) -> Finding:
    try:
        probe = probe_privacy_permission(client, target, task)
    except BwpApiError as error:
        return warned(
            PERMISSION,
            f"could not ask the API: {error.classification}: {error.message}",
            "run `bwp-privacy doctor` again",
        )
    grant = "give the credentials 'Manage Shopper Privacy Requests' in the merchant console"
    if probe.permission == "granted":
        return passed(PERMISSION, f"the credentials may read privacy tasks ({probe.detail})")
    if probe.permission == "denied":
        return failed(PERMISSION, probe.detail, grant)
    return warned(PERMISSION, f"{probe.detail}: no sure answer", grant + " if it lacks it")


def _subscriptions(view: StackView, subscriptions: Subscriptions) -> Finding:
    bus, account = view.partner_bus, view.account
    if bus is None or account is None:
        return failed(SUBSCRIPTIONS, "the stack names no partner event bus", "deploy this version")
    try:
        destination = Destination.of_source(bus, account, view.region)
        found, total = subscriptions.list()
    except BwpPrivacyError as error:
        return failed(SUBSCRIPTIONS, str(error), "`bwp-privacy setup`")
    missing = missing_types(found, destination)
    if missing:
        return failed(
            SUBSCRIPTIONS,
            f"not subscribed to {bus}: {', '.join(missing)} (their events are never sent)",
            "`bwp-privacy setup`",
        )
    if total > len(found):
        return warned(
            SUBSCRIPTIONS,
            f"the four event types go to {bus}; the API counts {total} subscriptions and"
            f" listed {len(found)}",
            "check the others in the merchant console",
        )
    return passed(SUBSCRIPTIONS, f"the four event types go to {bus}")
