"""Every citation of docs/design.md in the repository points at a section that exists.

Code comments and documents cite the design by section number
(`docs/design.md §7`, `§10.3`); a renumbered or missing section would leave a
newcomer with a dead reference, and nothing outside the repository may be
cited instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"docs/design\.md ((?:§[0-9]+(?:\.[0-9]+)?(?:, )?)+)")
SECTION = re.compile(r"^#{2,3} ([0-9]+(?:\.[0-9]+)?)[. ]", re.MULTILINE)


SKIPPED = {".git", ".venv", ".pgdata", ".ruff_cache", ".pytest_cache", "node_modules", "staticfiles", "__pycache__"}
TEXT = {".py", ".md", ".html", ".js", ".css", ".txt", ".toml", ".example"}


def tracked_text_files() -> list[Path]:
    """The project's own text files (not the virtualenv, caches or data)."""
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        files += [Path(folder, name) for name in names if Path(name).suffix in TEXT or name == "Makefile"]
    return files


def design_sections() -> set[str]:
    return set(SECTION.findall((ROOT / "docs" / "design.md").read_text()))


def test_the_design_has_its_numbered_sections():
    sections = design_sections()
    assert {str(n) for n in range(1, 12)} <= sections
    assert {"10.1", "10.2", "10.3", "10.4", "10.5", "10.6"} <= sections


def test_every_citation_of_the_design_names_an_existing_section():
    sections = design_sections()
    dead = []
    cited = 0
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in CITATION.finditer(text):
            for number in re.findall(r"§([0-9]+(?:\.[0-9]+)?)", match.group(1)):
                cited += 1
                if number not in sections:
                    dead.append(f"{path.relative_to(ROOT)}: §{number}")
    assert cited > 50, "the citations were not found: has their form changed?"
    assert dead == []


def test_nothing_cites_a_design_document_outside_the_repository():
    outside = re.compile(r"\bDESIGN(\.md)?\s*§|\.\./shared/")
    offenders = [
        str(path.relative_to(ROOT))
        for path in tracked_text_files()
        if path.name != Path(__file__).name and outside.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
