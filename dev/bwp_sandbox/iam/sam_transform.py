"""Write template.yaml as plain CloudFormation (the SAM transform applied).

Two readers need what SAM makes of the template (the roles, the event invoke config, the event
source mapping...): checkov (`make check` scans both files) and the sandbox's IAM, which runs
every function with the role the transform gives it (`bwp_sandbox.iam.sam`).

A standalone script: it runs in its own environment beside aws-sam-translator, which pins older
boto3 and pydantic than the project (`uv tool run --from aws-sam-translator==… python THIS IN
OUT`). Offline: local CodeUri/ContentUri become placeholder S3 URIs, and no managed policy is
looked up (the template names none; SAM's own are kept as ARNs).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PLACEHOLDER_BUCKET = "s3://bwp-privacy-checkov/"


class _NoManagedPolicies:
    """Stands in for the IAM look-up of managed policy ARNs; the template uses none."""

    def load(self) -> dict[str, str]:
        return {}


def transform(source: Path) -> dict[str, Any]:
    """The CloudFormation template that SAM deploys for ``source``."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.transform import (  # type: ignore[import-not-found,unused-ignore]
        transform as sam_transform,
    )
    from samtranslator.yaml_helper import (  # type: ignore[import-not-found,unused-ignore]
        yaml_parse,
    )

    template: dict[str, Any] = yaml_parse(source.read_text())
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = PLACEHOLDER_BUCKET + properties[key].strip("/")
    transformed: dict[str, Any] = sam_transform(template, {}, _NoManagedPolicies())
    _carry_url_skips(transformed["Resources"])
    return transformed


def _carry_url_skips(resources: dict[str, Any]) -> None:
    """A function URL SAM makes from a function's FunctionUrlConfig is that function's: the
    checkov skips written on the function (its reasons) carry to it, as checkov reads each
    generated resource on its own."""
    for resource in resources.values():
        if resource.get("Type") != "AWS::Lambda::Url":
            continue
        target = resource["Properties"].get("TargetFunctionArn")
        function = resources.get(target.get("Ref", "")) if isinstance(target, dict) else None
        skips = ((function or {}).get("Metadata") or {}).get("checkov")
        if skips:
            resource.setdefault("Metadata", {})["checkov"] = skips


def main(argv: list[str]) -> int:
    """``sam_transform.py TEMPLATE OUTPUT``: write the transformed template as JSON."""
    if len(argv) != 2:
        print("usage: sam_transform.py TEMPLATE OUTPUT", file=sys.stderr)
        return 2
    source, output = Path(argv[0]), Path(argv[1])
    output.write_text(json.dumps(transform(source), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
