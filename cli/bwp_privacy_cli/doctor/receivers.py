"""Can alerts go out: each receiver the stack deploys reads what it needs (a well-formed
secret, the Amazon Q topic, the alert bus), with a key the router may use."""

from __future__ import annotations

from bwp_privacy.alerting import RECEIVERS, deployed_receivers
from bwp_privacy.alerting.delivery import JsonPoster, ReceiverContext
from bwp_privacy.common import Backoff, JsonSecrets
from bwp_privacy_cli.doctor.findings import Finding, aws_reason, failed, passed, warned
from bwp_privacy_cli.doctor.keys import key_problem
from bwp_privacy_cli.doctor.view import StackView

RECEIVER_PARAMETERS = ", ".join(sorted(spec.parameter for spec in RECEIVERS.values()))


def receiver_checks(view: StackView) -> list[Finding]:
    deployed = deployed_receivers(view.target.router_env)
    if not deployed:
        return [
            warned(
                "receivers",
                "none deployed: a failure is published on the stack's topic and nobody is told",
                f"deploy with one of {RECEIVER_PARAMETERS}",
            )
        ]
    context = ReceiverContext(
        poster=JsonPoster(timeout_seconds=5, backoff=Backoff(max_attempts=1)),
        secrets=JsonSecrets(view.client("secretsmanager"), max_age_seconds=0),
        clients=view.client,
        environ=view.target.router_env,
    )
    return [_receiver(view, name, value, context) for name, value in deployed.items()]


def _receiver(view: StackView, name: str, value: str, context: ReceiverContext) -> Finding:
    spec = RECEIVERS[name]
    check = f"receiver {name}"
    fix = f"set the right value for {spec.parameter} and `make deploy`"
    try:
        if spec.resource == "secret":
            # The receiver's own build reads the secret and holds it to its model.
            spec.build(value, context)
            key = view.client("secretsmanager").describe_secret(SecretId=value).get("KmsKeyId")
            what = f"secret {value}"
        elif spec.resource == "sns-topic":
            attributes = view.client("sns").get_topic_attributes(TopicArn=value)["Attributes"]
            key = attributes.get("KmsMasterKeyId")
            what = f"topic {value}"
        else:
            view.client("events").describe_event_bus(Name=value)
            key, what = None, f"bus {value}"
    except Exception as error:  # what the receiver would meet at its first alert
        return failed(check, f"{value}: {aws_reason(error)}", fix)
    problem = key_problem(view, check, key, what)
    if problem is not None:
        return problem
    return passed(check, f"{what}: {'well-formed' if spec.resource == 'secret' else 'there'}")
