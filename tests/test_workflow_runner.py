"""GitHub's expression rules as tests/workflow_runner.py reads them for whole jobs (the e2e
runner, tests/e2e/actions_runner.py): what each condition in our workflows decides."""

from __future__ import annotations

import pytest

from tests.workflow_runner import ExpressionError, Strict, condition, evaluate, interpolate

RAN = {"success": True, "failure": False, "cancelled": False, "always": True}
FAILED = {"success": False, "failure": True, "cancelled": False, "always": True}
CANCELLED = {"success": False, "failure": False, "cancelled": True, "always": True}


def steps(**statuses: str) -> dict[str, object]:
    return {"steps": {k: {"outputs": {"status": v}} for k, v in statuses.items()}}


def test_properties_functions_and_literals():
    context = {
        "needs": {"stacks": {"outputs": {"stacks": '["dev", "prod"]'}}},
        "inputs": Strict({"asana-token": ""}),
        "matrix": {"stack": "dev"},
    }

    assert evaluate("fromJSON(needs.stacks.outputs.stacks)", context) == ["dev", "prod"]
    assert evaluate("fromJSON(needs.stacks.outputs.stacks)[1]", context) == "prod"
    assert evaluate("inputs.asana-token", context) == ""
    assert evaluate("matrix['stack'] == 'DEV'", context) is True  # strings ignore case
    assert evaluate("contains(fromJSON(needs.stacks.outputs.stacks), 'prod')", context) is True
    assert evaluate("'it''s'", context) == "it's"


def test_a_missing_property_is_null_but_a_missing_context_or_strict_key_fails():
    context = {"steps": {}, "secrets": Strict({"A": "x"})}

    assert interpolate("[${{ steps.none.outputs.code }}]", context) == "[]"
    with pytest.raises(ExpressionError, match="no context 'vars'"):
        evaluate("vars.X", context)
    with pytest.raises(ExpressionError, match="no value for 'B'"):
        evaluate("secrets.B", context)
    with pytest.raises(ExpressionError, match="cannot read"):
        evaluate("a ~ b", context)


@pytest.mark.parametrize(
    ("text", "statuses", "runs"),
    [
        (None, RAN, True),
        (None, FAILED, False),
        ("steps.report.outputs.status == '2'", RAN, True),
        ("steps.report.outputs.status == '2'", FAILED, False),  # an implicit success() &&
        ("${{ steps.report.outputs.status == '1' }}", RAN, False),
        ("always()", CANCELLED, True),
        ("!cancelled() && steps.health.outputs.status != '0'", FAILED, True),
        ("!cancelled() && steps.health.outputs.status != '0'", CANCELLED, False),
    ],
)
def test_conditions_read_as_github_reads_them(text, statuses, runs):
    assert condition(text, steps(report="2", health="1"), statuses) is runs


def test_the_drift_jobs_failure_step_condition():
    text = """!cancelled()
      && ((steps.report.outputs.status != '0' && steps.report.outputs.status != '2')
          || (steps.health.outputs.status != '0' && steps.health.outputs.status != '2'))"""

    assert condition(text, steps(report="0", health="2"), RAN) is False
    assert condition(text, steps(report="1", health="0"), RAN) is True
    assert condition(text, steps(report="0", health=""), RAN) is True  # health never ran
