"""The deploy order names every stack file once; stack names follow Pulumi's rule."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.stacks import (
    ORDER_FILE,
    ROOT,
    StackError,
    deploy_order,
    insert_after,
    name_problem,
    order_problems,
    read_order,
    stack_files,
)


def test_every_stack_file_is_in_the_deploy_order_and_every_entry_has_a_file():
    order = read_order(ROOT)

    assert sorted(order) == sorted(stack_files(ROOT))
    assert len(order) == len(set(order))
    assert order_problems(ROOT) == []


def test_dev_deploys_before_prod():
    order = deploy_order(ROOT)

    assert order.index("dev") < order.index("prod")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "stacks").mkdir()
    for name in ("dev", "prod"):
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (tmp_path / ORDER_FILE).write_text("# the order\ndev\n\n# last\nprod\n")
    return tmp_path


def test_comments_and_blank_lines_are_not_stacks(repo):
    assert deploy_order(repo) == ["dev", "prod"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda r: (r / "stacks" / "Pulumi.qa.yaml").write_text("config: {}\n"),
            "stacks/Pulumi.qa.yaml is not in stacks/deploy-order; add it where it deploys",
        ),
        (
            lambda r: (r / ORDER_FILE).write_text("dev\nstaging\nprod\n"),
            "stacks/deploy-order lists staging, but there is no stacks/Pulumi.staging.yaml",
        ),
        (
            lambda r: (r / ORDER_FILE).write_text("dev\nprod\ndev\n"),
            "stacks/deploy-order lists dev more than once",
        ),
        (
            lambda r: (r / ORDER_FILE).write_text("dev\nprod now\n"),
            "stacks/deploy-order line 2: stack name 'prod now' contains ' '",
        ),
        (
            lambda r: (r / ORDER_FILE).unlink(),
            "stacks/deploy-order is missing",
        ),
    ],
    ids=["a stack file not in the order", "an entry without a file", "twice", "bad", "missing"],
)
def test_an_order_that_does_not_match_the_stack_files_is_refused_naming_why(repo, change, problem):
    change(repo)

    assert any(found.startswith(problem) for found in order_problems(repo)), order_problems(repo)
    with pytest.raises(StackError, match="stacks/"):
        deploy_order(repo)


@pytest.mark.parametrize("name", ["dev", "prod-eu", "staging_2", "v1.2", "A" * 100, "-"])
def test_pulumi_stack_names_are_accepted(name):
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "may not be empty"),
        ("a" * 101, "has 101 characters"),
        ("org/staging", "contains '/'"),
        ("stag ing", "contains ' '"),
        ("prød", "contains 'ø'"),
    ],
)
def test_other_names_are_refused_with_the_rule(name, words):
    problem = name_problem(name)

    assert problem is not None and words in problem
    assert "letter, a digit, '-', '_' or '.'" in problem


def test_a_stack_is_inserted_after_the_one_named_keeping_the_comments(repo):
    insert_after(repo, "staging", "dev")
    insert_after(repo, "qa", None)

    assert (repo / ORDER_FILE).read_text() == "# the order\ndev\nstaging\n\n# last\nprod\nqa\n"


def test_the_listing_command_needs_only_the_standard_library(repo):
    shutil.copytree(ROOT / "tools", repo / "tools", ignore=shutil.ignore_patterns("__pycache__"))

    # -S: no site-packages, as on a runner before any virtual environment exists.
    listed = subprocess.run(
        [sys.executable, "-S", "-m", "tools.stacks"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(listed.stdout) == ["dev", "prod"]


def test_the_listing_command_fails_with_each_problem_as_an_annotation_in_actions(repo):
    shutil.copytree(ROOT / "tools", repo / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "stacks" / "Pulumi.qa.yaml").write_text("config: {}\n")

    listed = subprocess.run(
        [sys.executable, "-S", "-m", "tools.stacks"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        env={"GITHUB_ACTIONS": "true", "PATH": "/usr/bin:/bin"},
    )

    assert listed.returncode == 1 and listed.stdout == ""
    assert listed.stderr.startswith("::error::stacks/Pulumi.qa.yaml is not in stacks/deploy-order")
