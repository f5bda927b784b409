"""The README and `docs/` stand on their own: every link stays inside the repository and leads to a file
(and to a heading, when it names one); nothing points at material a person who cloned only this
repository does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"```.*?```", re.S)


def links(path: Path) -> list[str]:
    return LINK.findall(CODE.sub("", path.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not `_` or `-`), spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = CODE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_there_are_documents_with_links():
    names = {p.relative_to(REPO).as_posix() for p in DOCUMENTS}
    assert {"README.md", "docs/integrators.md", "docs/staff-api.md", "docs/operations.md",
            "docs/law-and-deadlines.md", "docs/security.md", "docs/architecture.md"} <= names
    assert len(links(REPO / "README.md")) >= 6


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_stays_in_the_repository_and_resolves(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "shared/" not in text, "names the project's reference material, which is not in the repository"
    for target in links(path):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            assert target.startswith(("https://", "http://", "mailto:")), target
            continue
        file_part, _, fragment = target.partition("#")
        assert not file_part.startswith("/"), f"{target}: an absolute path is not in the repository"
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.is_relative_to(REPO), f"{target}: outside the repository"
        assert resolved.exists(), f"{target}: no such file"
        if fragment and resolved.suffix == ".md":
            assert fragment in anchors(resolved), f"{target}: no heading with this anchor"


def test_the_readme_links_every_document_in_docs():
    linked = {(REPO / target.partition("#")[0]).resolve() for target in links(REPO / "README.md")}
    for document in (REPO / "docs").glob("*.md"):
        assert document.resolve() in linked, f"the README's Documentation list lacks {document.name}"
