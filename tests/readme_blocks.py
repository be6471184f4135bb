"""The README's shell blocks and how each is checked, read from the README itself.

Every fenced shell block in README.md is preceded by a comment naming its kind:

    <!-- runs: offline -->   run as written, in order, against the local tenant
                            (tests/e2e/test_readme_commands.py)
    <!-- runs: tenant -->    needs a real tenant, or is the test suite itself: syntax-checked,
                            and its flags and make targets checked against the commands' help

Pure: text in, blocks out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from tests.repository import ROOT

README = ROOT / "README.md"
KINDS = ("offline", "tenant")
_FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!-- runs: (\w+) -->\s*\Z")
SHELL_LANGUAGES = ("bash", "sh", "shell", "console", "zsh")


@dataclass(frozen=True)
class Block:
    kind: str | None  # None: no marker before it
    language: str
    text: str
    line: int  # of the opening fence, 1-based


def shell_blocks(text: str) -> list[Block]:
    """Every fenced shell block, in order, with the kind its marker names."""
    found = []
    for match in _FENCE.finditer(text):
        if match.group(1) not in SHELL_LANGUAGES:
            continue
        marker = _MARKER.search(text[: match.start()])
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(marker.group(1) if marker else None, match.group(1), match[2], line))
    return found


def commands(block: Block) -> list[list[str]]:
    """The simple commands of a block as argument lists: comments dropped, `&&`, `||`, `;` and
    `|` split; a subshell's parentheses removed."""
    result: list[list[str]] = []
    for line in block.text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars="();&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if set(token) <= set("();&|"):
                if current:
                    result.append(current)
                current = []
            else:
                current.append(token)
        if current:
            result.append(current)
    return result
