"""Loaded by a child Python while `make mutate` collects its statistics (tests/mutation_hits.py):
each product function the child calls is appended to the file MUTATION_CHILD_HITS names, where
the test process picks it up. Does nothing unless mutmut is collecting statistics."""

from __future__ import annotations

import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats" and os.environ.get("MUTATION_CHILD_HITS"):
    import mutmut.mutation.trampoline as _trampoline

    _hits = os.environ["MUTATION_CHILD_HITS"]

    def _record(name: str, caller: str | None = None) -> None:
        with open(_hits, "a", encoding="utf-8") as handle:
            handle.write(name + "\n")

    _trampoline.record_trampoline_hit = _record  # type: ignore[assignment]
