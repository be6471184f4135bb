"""A pytest plugin for `make mutate` (tests/mutate.py): lets mutmut see product code that runs
in a child Python process.

mutmut picks the tests to run against a mutant from the functions each test called, which it
records in the test process only. Our providers run where the engine runs them, in a
`python -m pulumi.dynamic` process (tests/engine.py), so without this every provider function
would count as covered by no test. While mutmut collects its statistics, this plugin puts
tests/mutation_site first on the PYTHONPATH of every child Python; there mutmut's record of a
function call is appended to a file instead, and before mutmut files a test's calls away, the
calls the children made during that test are added to them. Children see the mutant under
test through MUTANT_UNDER_TEST, which they inherit, so mutants are killed there as here.

It also gives each test session an asyncio loop of its own. mutmut forks every mutant's pytest
from its main process, which has already run the tests in-process (for its statistics); the
fork inherits that process's loop, whose default executor believes its worker threads are
still there, though a fork keeps only the thread that forked. Pulumi's runtime (mocks included)
hands its calls to that executor (`run_in_executor`), so a test running a program under mocks
waited forever, and pytest-timeout's failure after 120 s counted the mutant as killed whatever
it changed. A new loop has a new executor.

And it empties the product's caches (`functools.lru_cache`: clients.http's `shared_session`,
clients.credentials' `shared_credential` and token session) before each test. In a forked
session they still held what the statistics run built with the code as written, so a test
asking for a session got that one and never ran the mutant of `build_session` (or of what makes
a credential); in the statistics run itself, only the first test to build each was recorded as
calling the function, so mutmut never ran the others against its mutants.

Loaded only by tests/mutate.py (`-p tests.mutation_hits`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

SITE = Path(__file__).resolve().parent / "mutation_site"
HITS_VARIABLE = "MUTATION_CHILD_HITS"
PRODUCT_PACKAGES = frozenset({"rules", "clients", "providers", "components", "tools", "scripts"})


def pytest_configure(config: pytest.Config) -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())
    if HITS_VARIABLE not in os.environ:
        handle, name = tempfile.mkstemp(prefix="mutation-hits-", suffix=".txt")
        os.close(handle)
        os.environ[HITS_VARIABLE] = name
    paths = [str(SITE), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def clear_product_caches() -> int:
    """Empty every cache a product module defines (anything with `cache_clear` whose
    `__module__` is that module, as `functools.lru_cache` keeps it); returns how many."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in PRODUCT_PACKAGES:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) or getattr(value, "__module__", None) != name:
                continue
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
                cleared += 1
    return cleared


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    clear_product_caches()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: Any) -> None:
    hits = Path(os.environ[HITS_VARIABLE])
    try:
        names = hits.read_text().split()
    except OSError:
        return
    hits.write_text("")
    if not names:
        return
    from mutmut.state import state  # only present under mutmut

    state()._stats.update(names)
