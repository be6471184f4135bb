"""`PULUMI_SKIP_CHECKPOINTS` is read as the engine reads it, so our guard refuses exactly the
deploys the engine would not record as it goes."""

from __future__ import annotations

import pytest

from rules.checkpoints import SKIP_CHECKPOINTS, skips_checkpoints


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "tRuE"])
def test_the_values_the_engine_takes_for_true_skip_checkpoints(value: str):
    assert skips_checkpoints({SKIP_CHECKPOINTS: value})


@pytest.mark.parametrize("value", ["", "0", "false", "yes", "on", " true", "2"])
def test_every_other_value_and_no_value_leave_the_engine_writing_every_step(value: str):
    assert not skips_checkpoints({SKIP_CHECKPOINTS: value})
    assert not skips_checkpoints({})
