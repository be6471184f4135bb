"""Every command-line tool of the project explains each of its flags and its exit codes, under
the name it is run by (`python -m ...`)."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

import pytest

# module run with `python -m` -> the module that holds its build_parser() and main()
CLIS = {
    "tools.adopt": "tools.adopt",
    "tools.health": "tools.health",
    "tools.new_stack": "tools.new_stack",
    "tools.pulumi_yaml": "tools.pulumi_yaml",
    "tools.recover": "tools.recover",
    "scripts.drift_check": "scripts.drift_check",
    "scripts.drift_report": "scripts.drift_report",
    "tests.emulator": "tests.emulator.__main__",
}


def parser_of(module: str) -> argparse.ArgumentParser:
    build: Callable[[], argparse.ArgumentParser] = importlib.import_module(
        CLIS[module]
    ).build_parser
    return build()


@pytest.mark.parametrize("module", sorted(CLIS))
def test_every_flag_has_help(module: str):
    parser = parser_of(module)

    undocumented = [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS
    ]
    assert undocumented == []


@pytest.mark.parametrize("module", sorted(CLIS))
def test_the_usage_names_the_command_and_the_help_lists_the_exit_codes(module: str):
    text = parser_of(module).format_help()

    assert text.startswith(f"usage: python -m {module} ")
    exit_codes = text.split("\nexit status:\n", 1)
    assert len(exit_codes) == 2, "no 'exit status:' section in --help"
    codes = [line.split()[0] for line in exit_codes[1].splitlines() if line[:3].strip()]
    assert codes and all(code.isdigit() for code in codes)
    assert "0" in codes


@pytest.mark.parametrize("module", sorted(CLIS))
def test_main_answers_help_with_the_parser_it_is_built_from(
    module: str, capsys: pytest.CaptureFixture[str]
):
    main = importlib.import_module(CLIS[module]).main

    with pytest.raises(SystemExit) as exit_:
        main(["--help"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out == parser_of(module).format_help()
