"""`python -m benchmarks.real_engine` measures at the sizes it is given, in each of the two ways
the engine can write the state, and refuses options that would measure nothing."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import real_engine


def test_by_default_5000_is_measured_with_the_state_written_once_and_1000_both_ways():
    args = real_engine.build_parser().parse_args([])

    assert args.sizes == [100, 1000]
    assert args.skip_checkpoints_sizes == [100, 1000, 5000]


def test_an_empty_list_of_sizes_skips_that_way_of_writing_the_state():
    args = real_engine.build_parser().parse_args(["--sizes", "", "--skip-checkpoints-sizes", "50"])

    assert args.sizes == []
    assert args.skip_checkpoints_sizes == [50]


@pytest.mark.parametrize("text", ["0", "-5", "many", "100,x"])
def test_a_size_that_is_not_a_positive_number_is_refused(text: str):
    with pytest.raises(argparse.ArgumentTypeError, match="positive numbers"):
        real_engine.parse_sizes(text)


def test_nothing_to_measure_is_refused_naming_both_options(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        real_engine.main(["--sizes", "", "--skip-checkpoints-sizes", ""])

    assert exited.value.code == 2
    assert "--sizes and --skip-checkpoints-sizes are empty" in capsys.readouterr().err


def test_only_the_runs_that_skip_checkpoints_carry_the_variable_that_says_so():
    assert real_engine.CHECKPOINTS_ENV[real_engine.EVERY_STEP] == {}
    assert real_engine.CHECKPOINTS_ENV[real_engine.FINAL_ONLY] == {
        "PULUMI_SKIP_CHECKPOINTS": "true"
    }
