"""Every link in README and docs/ goes somewhere: an in-page anchor names a heading (as GitHub
makes its anchors), and a relative link names a file of the repository."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: A Markdown link's target (images too), outside code spans and fences.
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


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


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_goes_somewhere(document: Path) -> None:
    text = document.read_text()
    own = anchors(text)
    broken = []
    for line in _prose(text):
        for target in LINK.findall(line):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            if not path:
                if anchor not in own:
                    broken.append(target)
                continue
            if not _reaches(document.parent / path, anchor):
                broken.append(target)
    assert broken == [], f"{document.name}: links that go nowhere: {broken}"


def _reaches(path: Path, anchor: str) -> bool:
    """The file exists, and holds the heading ``anchor`` names when it is Markdown."""
    file = path.resolve()
    if not file.exists():
        return False
    return not anchor or file.suffix != ".md" or anchor in anchors(file.read_text())


def test_anchors_are_made_as_github_makes_them() -> None:
    text = "# Message schema `bwp-privacy.deletion-task-failure` 1.2\n## A b\n## A b\n"
    assert anchors(text) == {"message-schema-bwp-privacydeletion-task-failure-12", "a-b", "a-b-1"}
