"""The repository documents itself: a README a newcomer can read in one sitting, every link and
command in it real, generated references in step with their sources, and no pointer to files
outside the repository (a clone has nothing beside it)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests import config_reference
from tests.readme_blocks import KINDS, README, shell_blocks
from tests.repository import ROOT, repository_files

README_LIMIT_BYTES = 20_000
OUTSIDE = "/".join(("..", "shared"))  # spelled apart, so this file does not hold it
PENDING: set[str] = set()
"""Linked from the README and written on other branches; drop each once it is merged."""
_LINK = re.compile(r"\]\(([^)\s]+)\)")
BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_stays_under_its_size_limit():
    assert len(README.read_bytes()) < README_LIMIT_BYTES


def test_no_file_of_the_repository_points_outside_it():
    offenders = [
        str(path.relative_to(ROOT))
        for path in repository_files()
        if OUTSIDE.encode() in path.read_bytes()
    ]
    assert offenders == []


def test_every_readme_shell_block_says_how_it_is_checked():
    assert BLOCKS, "the README has no command blocks"
    assert [b.line for b in BLOCKS if b.kind not in KINDS] == []
    assert {b.kind for b in BLOCKS} == set(KINDS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line {block.line}" for block in BLOCKS])
def test_every_readme_shell_block_is_valid_bash(block):
    run = subprocess.run(
        ["bash", "-n"], input=block.text, capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, f"README line {block.line}: {run.stderr}"


def test_every_relative_link_in_the_docs_names_a_file_that_exists():
    missing = []
    for document in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in _LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (document.parent / target.split("#", 1)[0]).resolve()
            name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
            if not path.exists() and name not in PENDING:
                missing.append(f"{document.name}: {target}")
    assert missing == []


def test_the_configuration_reference_is_generated_from_pulumi_yaml():
    document = ROOT / "docs" / "configuration.md"
    current = document.read_text(encoding="utf-8")

    assert config_reference.rewritten(current, config_reference.load_project()) == current, (
        "docs/configuration.md's settings table is out of date: run `make docs`"
    )
