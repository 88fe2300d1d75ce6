"""Every link in README and docs/ goes somewhere: a relative link names a file of the
repository, and an anchor, in the page or on another one, names a heading there as GitHub
makes its anchors. The checker is tested on pages written for it, so a broken link is known to
fail it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: A Markdown link's target (images too).
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
EXTERNAL = ("http://", "https://", "mailto:")


def _prose(text: str) -> list[str]:
    """The document's lines outside code fences, without inline code spans."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(re.sub(r"`[^`]*`", "", line))
    return lines


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the document's headings: lower case, punctuation but hyphens
    and underscores dropped, each space a hyphen; a repeated one gets -1, -2, …"""
    seen: Counter[str] = Counter()
    found = set()
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        heading = HEADING.match(line)
        if fenced or heading is None:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(2))  # a link's text
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return found


def broken_links(document: Path, root: Path) -> list[str]:
    """The links of ``document`` that go nowhere inside ``root``."""
    text = document.read_text()
    broken = []
    for line in _prose(text):
        for target in LINK.findall(line):
            if target.startswith(EXTERNAL):
                continue
            path, _, anchor = target.partition("#")
            if not path:
                if anchor not in anchors(text):
                    broken.append(target)
            elif not _reaches((document.parent / path).resolve(), anchor, root.resolve()):
                broken.append(target)
    return broken


def _reaches(file: Path, anchor: str, root: Path) -> bool:
    """The file exists inside the repository, and holds the heading ``anchor`` names when it
    is Markdown."""
    if not file.is_relative_to(root) or not file.exists():
        return False
    return not anchor or file.suffix != ".md" or anchor in anchors(file.read_text())


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_goes_somewhere(document: Path) -> None:
    assert broken_links(document, ROOT) == [], f"{document.name}: links that go nowhere"


def test_readme_reaches_every_page_of_docs() -> None:
    linked = {target.partition("#")[0] for target in LINK.findall((ROOT / "README.md").read_text())}
    pages = {f"docs/{page.name}" for page in DOCUMENTS[1:]}
    assert pages - linked == set()


def test_anchors_are_made_as_github_makes_them() -> None:
    text = (
        "# Message schema `bwp-privacy.deletion-task-failure` 1.2\n"
        "## A b\n## A b\n## A b\n"
        "## Run as AWS would: the template's IAM in the sandbox\n"
        "## See [the CLI](cli.md) (`--json`)\n"
        "```\n# not a heading\n```\n"
    )
    assert anchors(text) == {
        "message-schema-bwp-privacydeletion-task-failure-12",
        "a-b",
        "a-b-1",
        "a-b-2",
        "run-as-aws-would-the-templates-iam-in-the-sandbox",
        "see-the-cli---json",
    }


def test_the_checker_finds_every_kind_of_broken_link(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "page.md").write_text("# Page\n## Part one\n## Part one\n")
    (tmp_path / "outside.md").write_text("# Outside\n")
    readme = repo / "README.md"
    readme.write_text(
        "\n".join(
            [
                "# Title",
                "## Two words",
                "[in page](#two-words) [in page, broken](#two-word)",
                "[page](docs/page.md) [no such page](docs/nope.md)",
                "[cross-page](docs/page.md#part-one-1) [cross-page, broken](docs/page.md#part-two)",
                "[out of the repository](../outside.md) [web](https://example.com/#x)",
                "`[in code](#nowhere)`",
                "```",
                "[in a fence](#nowhere)",
                "```",
            ]
        )
        + "\n"
    )
    assert broken_links(readme, repo) == [
        "#two-word",
        "docs/nope.md",
        "docs/page.md#part-two",
        "../outside.md",
    ]
