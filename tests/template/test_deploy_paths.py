"""Every way the project deploys acknowledges what template.yaml needs: the capabilities,
derived from the template itself (CloudFormation refuses a stack that lacks one: "Requires
capabilities : [CAPABILITY_AUTO_EXPAND]"), in samconfig.toml, `make deploy` and every deploy
command the docs show; the files samconfig.toml names exist; and the longest stack name the
template's own names allow is the one setup and doctor check."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest

from bwp_privacy_cli.onboarding import MAX_STACK_NAME_LENGTH, stack_name_problem
from bwp_sandbox.capabilities import (
    AUTO_EXPAND,
    IAM,
    NAMED_IAM,
    missing_capabilities,
    required_capabilities,
)
from bwp_sandbox.iam.sam import transformed_template
from bwp_sandbox.stack import PROJECT_ROOT, TEMPLATE, load_template

SAMCONFIG = PROJECT_ROOT / "samconfig.toml"
MAKEFILE = PROJECT_ROOT / "Makefile"
DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
REQUIRED = required_capabilities(load_template(), transformed_template(TEMPLATE))
#: Commands that deploy a stack, in a shell line of the docs.
_DEPLOYS = re.compile(
    r"\bsam\s+deploy\b|\baws\s+cloudformation\s+(deploy|create-stack|update-stack|create-change-set)\b"
)


def test_the_template_needs_iam_and_auto_expand() -> None:
    # Nested applications (the dead-letter-queue and alarm families) and the SAM transform:
    # AUTO_EXPAND; the functions' roles, none named: IAM.
    assert {IAM, AUTO_EXPAND} == REQUIRED


@pytest.mark.parametrize(
    ("template", "needed"),
    [
        ({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}, set()),
        ({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}, {AUTO_EXPAND}),
        ({"Resources": {"A": {"Type": "AWS::Serverless::Application"}}}, {AUTO_EXPAND}),
        ({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}, {IAM}),
        (
            {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}},
            {NAMED_IAM},
        ),
    ],
)
def test_capabilities_are_derived_from_what_the_template_holds(
    template: dict[str, Any], needed: set[str]
) -> None:
    assert required_capabilities(template) == needed
    assert missing_capabilities([NAMED_IAM, AUTO_EXPAND], needed) == []


def _samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text())


def _capabilities(value: str | list[str]) -> list[str]:
    return value.split() if isinstance(value, str) else list(value)


def test_samconfig_acknowledges_every_capability_the_template_needs() -> None:
    environments = {
        name: section["deploy"]["parameters"]
        for name, section in _samconfig().items()
        if isinstance(section, dict) and "deploy" in section
    }
    assert "default" in environments
    for name, deploy in environments.items():
        given = _capabilities(deploy.get("capabilities", []))
        assert missing_capabilities(given, REQUIRED) == [], f"samconfig.toml [{name}.deploy]"


def test_every_path_samconfig_names_exists() -> None:
    paths = {
        f"[{env}.{command}] {key}": value
        for env, section in _samconfig().items()
        if isinstance(section, dict)
        for command, block in section.items()
        for key, value in block.get("parameters", {}).items()
        if key in {"env_vars", "template_file", "template", "container_env_var_file", "config_file"}
    }
    assert paths, "samconfig.toml names no file: this test would check nothing"
    missing = {
        where: value for where, value in paths.items() if not (PROJECT_ROOT / value).exists()
    }
    assert missing == {}


def _recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target (continuations joined)."""
    lines = MAKEFILE.read_text().replace("\\\n", " ").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def _given_capabilities(command: str) -> list[str] | None:
    """The capabilities a command line passes with --capabilities (None: it passes none)."""
    words = shlex.split(command, comments=True)
    if "--capabilities" not in words:
        return None
    given = []
    for word in words[words.index("--capabilities") + 1 :]:
        if word.startswith("-"):
            break
        given.append(word)
    return given


def test_make_deploy_takes_the_capabilities_from_samconfig_or_gives_them_all() -> None:
    [deploy] = [line for line in _recipe("deploy") if "deploy" in line]
    assert "$(SAM) deploy" in deploy
    # --config-file/--config-env would read another section than the one checked above.
    assert "--config-file" not in deploy
    assert "--config-env" not in deploy
    given = _given_capabilities(deploy.replace("$(SAM)", "sam"))
    if given is not None:
        assert missing_capabilities(given, REQUIRED) == [], deploy


def _deploy_problems(name: str, text: str) -> list[str]:
    """What is wrong with each shell line of a doc's code blocks that deploys a stack."""
    problems = []
    joined = re.sub(r"\\\n\s*", " ", text)
    fenced = False
    for number, line in enumerate(joined.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        command = line.strip().removeprefix("$ ")
        if not fenced or not _DEPLOYS.search(command) or command.startswith("#"):
            continue
        where = f"{name}:{number}: {command}"
        words = shlex.split(command, comments=True)
        if words[:2] == ["make", "deploy"]:
            continue  # its recipe is checked above
        given = _given_capabilities(command)
        if given is None:
            # Only `sam deploy` reads samconfig.toml (checked above); the AWS CLI reads nothing.
            if words[:2] != ["sam", "deploy"]:
                problems.append(f"{where}: no --capabilities")
            elif "--config-file" in words or "--config-env" in words:
                problems.append(f"{where}: another samconfig than the one checked")
        elif missing := missing_capabilities(given, REQUIRED):
            problems.append(f"{where}: lacks {', '.join(missing)}")
    return problems


def test_every_deploy_command_the_docs_show_acknowledges_the_capabilities() -> None:
    shown = [(doc.name, doc.read_text()) for doc in DOCS]
    assert any("make deploy" in text for _, text in shown)
    assert [p for name, text in shown for p in _deploy_problems(name, text)] == []


def test_a_deploy_command_without_the_capabilities_is_found() -> None:
    doc = "\n".join(
        [
            "```bash",
            "aws cloudformation deploy --template-file t.yaml --stack-name s",
            "sam deploy --capabilities CAPABILITY_IAM",
            "sam deploy \\",
            "  --config-env prod",
            "sam deploy --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-progressbar",
            "```",
            "prose: sam deploy --capabilities CAPABILITY_IAM is only words here",
        ]
    )
    assert [p.split(": ", 2)[2] for p in _deploy_problems("doc", doc)] == [
        "no --capabilities",
        "lacks CAPABILITY_AUTO_EXPAND",
        "another samconfig than the one checked",
    ]


# -- the stack's name ----------------------------------------------------------------------------

#: The longest name AWS takes for each named property that embeds the stack's name.
_NAME_LIMITS = {
    ("AWS::Serverless::Function", "FunctionName"): 64,
    ("AWS::Serverless::Function", "RuleName"): 64,
    ("AWS::Scheduler::ScheduleGroup", "Name"): 64,
    ("AWS::Serverless::LayerVersion", "LayerName"): 140,
    ("AWS::KMS::Alias", "AliasName"): 256,
    ("AWS::CloudWatch::Dashboard", "DashboardName"): 255,
    ("AWS::Serverless::Application", "AlarmName"): 255,
}
#: The longest value of the other references such a name holds.
_LONGEST = {"${AWS::Region}": len("ap-southeast-5")}


def _named_after_the_stack() -> list[tuple[str, str, int]]:
    """(where, the name's text, its limit) for every name that holds the stack's name."""
    found = []

    def visit(kind: str, where: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                limit = _NAME_LIMITS.get((kind, key))
                text = value.get("Sub") if isinstance(value, dict) else None
                if limit and isinstance(text, str) and "${AWS::StackName}" in text:
                    found.append((f"{where}.{key}", text, limit))
                visit(kind, f"{where}.{key}", value)

    for logical_id, resource in load_template()["Resources"].items():
        visit(resource["Type"], logical_id, resource.get("Properties", {}))
    return found


def test_the_longest_stack_name_is_what_the_template_names_allow() -> None:
    names = _named_after_the_stack()
    assert len(names) > 5
    room = []
    for where, text, limit in names:
        rest = text.replace("${AWS::StackName}", "")
        for reference, longest in _LONGEST.items():
            rest = rest.replace(reference, "x" * longest)
        assert "${" not in rest, f"{where}: {text} holds a reference this test cannot size"
        room.append(limit - len(rest))
    assert min(room) == MAX_STACK_NAME_LENGTH


def test_a_stack_name_is_checked_for_its_shape_and_length() -> None:
    assert stack_name_problem("bwp-privacy") is None
    assert stack_name_problem("a" * MAX_STACK_NAME_LENGTH) is None
    assert "56 characters: at most 55" in str(stack_name_problem("a" * 56))
    assert "letters, digits and hyphens" in str(stack_name_problem("9lives"))
    assert "letters, digits and hyphens" in str(stack_name_problem("my_stack"))
