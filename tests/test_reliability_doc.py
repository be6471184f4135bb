"""docs/reliability.md is exactly what the matrix tests produce (`make docs` writes it).

In a whole-suite run the matrix modules run first (pytest takes files in name order) and this
compares what they just recorded; run alone, or after a partial run, it runs the generator's own
check, which runs the matrix tests in a process of its own.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from tests import reporting

DOCUMENT = reporting.ROOT / "docs" / "reliability.md"


@pytest.mark.timeout(900)
def test_the_committed_reliability_doc_is_what_the_matrix_tests_record():
    for module in reporting.MATRIX_MODULES:  # declares their tables, with their case counts
        importlib.import_module(module)

    if reporting.matrices_complete():
        assert reporting.document() == DOCUMENT.read_text(encoding="utf-8"), (
            "docs/reliability.md differs from the matrices this run recorded: run `make docs`"
        )
    else:
        run = subprocess.run(
            [sys.executable, "-m", "tests.reporting", "--check", str(DOCUMENT)],
            cwd=reporting.ROOT,
            capture_output=True,
            text=True,
            timeout=800,
        )
        assert run.returncode == 0, run.stderr[-4000:] + run.stdout[-500:]
