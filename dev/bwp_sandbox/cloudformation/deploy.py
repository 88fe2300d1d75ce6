"""`sam package` and `sam deploy` of template.yaml, against whatever endpoint boto3 is pointed at
(the sandbox's moto), through CloudFormation's own API.

`sam package` uploads each local artifact (function code, the layer, nested templates) to S3
and writes its S3 location into the template; `sam deploy` sends that template to
CloudFormation, which runs the SAM transform, creates the stack and its nested stacks, and
reports CREATE_COMPLETE or the resource that failed. moto cannot run the SAM transform, so the
template sent is the transform's output (`bwp_sandbox.iam.sam`, where local paths became
placeholder S3 URIs), still naming the transform as the packaged template does: SAM passes a
template with no AWS::Serverless resource through unchanged, and CloudFormation asks for
CAPABILITY_AUTO_EXPAND because of it. Nothing is built: each CodeUri/ContentUri is a
placeholder zip (moto creates functions and layers from any zip, and runs none here).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bwp_sandbox.admin import admin_client
from bwp_sandbox.cloudformation.hook import install
from bwp_sandbox.iam import transformed_template
from bwp_sandbox.stack import TEMPLATE, load_template

#: Where `sam package` uploads (its managed bucket in an account; any bucket here).
ARTIFACTS_BUCKET = "bwp-privacy-sam-artifacts"
#: The bucket of the transform's placeholder URIs (`bwp_sandbox.iam.sam_transform`).
PLACEHOLDER_BUCKET = "bwp-privacy-checkov"
#: The local artifacts a transformed template names, by resource type: the property that holds
#: {S3Bucket, S3Key}.
_ARTIFACTS = {"AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}
_NESTED = "AWS::CloudFormation::Stack"
_IN_PROGRESS = "_IN_PROGRESS"


class StackFailed(RuntimeError):
    """The stack did not reach CREATE_COMPLETE; the message names each resource that failed
    and CloudFormation's reason, nested stacks' resources included."""

    def __init__(self, stack_name: str, status: str, failures: Sequence[StackEvent]) -> None:
        reasons = "; ".join(f"{event.where}: {event.reason}" for event in failures)
        super().__init__(f"stack {stack_name} is {status}: {reasons or 'no reason given'}")
        self.status = status
        self.failures = tuple(failures)


@dataclass(frozen=True)
class StackEvent:
    """A CREATE_FAILED event: the stack and resource it is about, and why."""

    stack_name: str
    logical_id: str
    reason: str

    @property
    def where(self) -> str:
        return f"{self.stack_name}/{self.logical_id}"


def deploy_with_cloudformation(
    stack_name: str,
    parameters: Mapping[str, str],
    capabilities: Sequence[str],
    template: Path = TEMPLATE,
    *,
    timeout: float = 60.0,
) -> dict[str, str]:
    """Package ``template`` and create it as stack ``stack_name``; its outputs once
    CREATE_COMPLETE.

    Raises botocore's ClientError as CloudFormation answers it (InsufficientCapabilitiesException
    when ``capabilities`` lack what the template needs, AlreadyExistsException...), and
    StackFailed when the stack fails (with the failing resources' reasons).
    """
    install()  # LocalAws installs it too; a moto server in this process needs it either way
    body = package(template, stack_name)
    cloudformation = admin_client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(body),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
        ],
        Capabilities=list(capabilities),
    )
    return wait_for_stack(stack_name, timeout=timeout)


def package(template: Path, prefix: str, bucket: str = ARTIFACTS_BUCKET) -> dict[str, Any]:
    """The transformed ``template`` with its artifacts and nested templates in S3, as
    `sam package` writes it (S3 locations in place of local paths)."""
    raw = load_template(template)
    body = copy.deepcopy(transformed_template(template))
    if "Transform" in raw:
        body["Transform"] = raw["Transform"]
    _ensure_bucket(bucket)
    for resource in body.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind in _ARTIFACTS and isinstance(properties.get(_ARTIFACTS[kind]), dict):
            location = properties[_ARTIFACTS[kind]]
            if location.get("S3Bucket") == PLACEHOLDER_BUCKET:
                properties[_ARTIFACTS[kind]] = _upload_placeholder(
                    location["S3Key"], bucket, prefix
                )
        elif kind == _NESTED and _is_local(properties.get("TemplateURL")):
            properties["TemplateURL"] = _upload_nested(
                template.parent / properties["TemplateURL"], bucket, prefix
            )
    return body


def wait_for_stack(stack_name: str, timeout: float = 60.0, poll: float = 0.2) -> dict[str, str]:
    """The stack's outputs once it is CREATE_COMPLETE; StackFailed if it ends otherwise.

    moto creates a stack within its CreateStack call, so the first look finds it done; AWS
    takes minutes, hence the poll.
    """
    cloudformation = admin_client("cloudformation")
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        status: str = stack["StackStatus"]
        if not status.endswith(_IN_PROGRESS):
            break
        if time.monotonic() > deadline:
            raise StackFailed(
                stack_name, status, [StackEvent(stack_name, "", f"not done in {timeout} s")]
            )
        time.sleep(poll)
    if status != "CREATE_COMPLETE":
        raise StackFailed(stack_name, status, failed_events(stack["StackId"]))
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def failed_events(stack: str) -> list[StackEvent]:
    """The CREATE_FAILED events of a stack and, under them, of its nested stacks (where the
    real reason is: the parent's event only names the nested stack)."""
    cloudformation = admin_client("cloudformation")
    found: list[StackEvent] = []
    events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
    for event in reversed(events):  # oldest first
        if event["ResourceStatus"] != "CREATE_FAILED":
            continue
        found.append(
            StackEvent(
                event["StackName"],
                event["LogicalResourceId"],
                event.get("ResourceStatusReason", ""),
            )
        )
        nested = event.get("PhysicalResourceId", "")
        if event["ResourceType"] == _NESTED and nested.startswith("arn:"):
            found.extend(failed_events(nested))
    return found


def _is_local(url: Any) -> bool:
    return isinstance(url, str) and "://" not in url


def _ensure_bucket(bucket: str) -> None:
    s3 = admin_client("s3")
    region = s3.meta.region_name
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
    # S3: us-east-1 takes no location constraint, every other region needs one.
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def _upload(content: bytes, bucket: str, key: str) -> None:
    admin_client("s3").put_object(Bucket=bucket, Key=key, Body=content)


def _upload_placeholder(path: str, bucket: str, prefix: str) -> dict[str, str]:
    """A zip standing for the artifact `sam build` makes of ``path``, keyed by its MD5 as
    `sam package` keys uploads (the same content is uploaded once)."""
    content = _placeholder_zip(path)
    # A content key, as SAM's: MD5 for naming, not for security.
    key = f"{prefix}/{hashlib.md5(content, usedforsecurity=False).hexdigest()}"
    _upload(content, bucket, key)
    return {"S3Bucket": bucket, "S3Key": key}


def _placeholder_zip(path: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed date: the same path always makes the same zip, hence the same key.
        entry = zipfile.ZipInfo("PLACEHOLDER.txt", date_time=(2020, 1, 1, 0, 0, 0))
        archive.writestr(
            entry, f"Stands for the build of {path}/ in the sandbox; moto never runs it.\n"
        )
    return buffer.getvalue()


def _upload_nested(path: Path, bucket: str, prefix: str) -> str:
    """Upload a nested template (plain CloudFormation: nothing of its own to package) and
    return its URL, as `sam package` writes it into the parent."""
    nested = load_template(path)
    if "Transform" in nested or any(
        str(resource.get("Type", "")).startswith("AWS::Serverless::")
        or (resource.get("Type") == _NESTED and _is_local(resource["Properties"]["TemplateURL"]))
        for resource in nested.get("Resources", {}).values()
    ):
        # templates/*.yaml are plain CloudFormation; one that is not needs packaging itself.
        raise NotImplementedError(f"{path.name}: a nested template's own artifacts")
    content = path.read_bytes()
    key = f"{prefix}/{hashlib.md5(content, usedforsecurity=False).hexdigest()}.template"
    _upload(content, bucket, key)
    region = admin_client("s3").meta.region_name
    return f"https://s3.{region}.amazonaws.com/{bucket}/{key}"
