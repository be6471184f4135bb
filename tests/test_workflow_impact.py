"""The preview workflow's access impact steps, run with the workflow step recorder
(tests/workflow_runner.py): one comment per stack updated in place, the verdict kept, and the
guardrail failing the preview only when maxAccessLoss is exceeded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflow_runner import find_step, load, run_step

ROOT = Path(__file__).resolve().parent.parent
PREVIEW = load(ROOT / ".github" / "workflows" / "preview.yml")


def stand_in_python(workdir: Path, script: str) -> None:
    python = workdir / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/bash\n{script}\n")
    python.chmod(0o755)


@pytest.mark.parametrize("status", [0, 1, 2, 3])
def test_the_impact_step_runs_the_tool_for_the_stack_and_keeps_its_verdict(tmp_path, status):
    stand_in_python(
        tmp_path,
        'printf "%s\\n" "$@" > args.txt\n'
        'out="${@: -1}"\necho "**Access impact of stack dev: 2 lose Asana**" > "$out"\n'
        f"exit {status}",
    )

    run = run_step(find_step(PREVIEW, "Access impact"), tmp_path, {"matrix.stack": "dev"})

    assert run.exit_code == 0  # the comment is posted whatever the verdict
    assert run.github_output["code"] == str(status)
    args = (tmp_path / "args.txt").read_text().split()
    assert args == ["-m", "tools.impact", "--stack", "dev", "--markdown", "--output", "impact.md"]


def comment_run(tmp_path: Path, comments: list[dict]):
    (tmp_path / "impact.md").write_text(
        "**Access impact of stack dev: nobody gains or loses Asana.**\n"
    )
    context = {
        "github.token": "stand-in-token",
        "matrix.stack": "dev",
        "github.event.pull_request.number": "12",
        "steps.impact.outputs.code": "0",
    }
    answers = {
        "gh": [
            (
                ["api", "repos/contoso/asana-provisioning/issues/12/comments"],
                {
                    "stdout": "\n".join(
                        str(c["id"])
                        for c in comments
                        if c["body"].startswith("<!-- access-impact:dev -->")
                    )
                },
            )
        ]
    }
    return run_step(find_step(PREVIEW, "Comment the access impact"), tmp_path, context, answers)


def test_the_first_push_posts_one_impact_comment_marked_for_the_stack(tmp_path):
    run = comment_run(tmp_path, [{"id": 5, "body": "<!-- pulumi-preview:dev -->\n…"}])

    assert run.exit_code == 0, run.output
    (listing, post) = run.called("gh")
    assert listing[:2] == ["api", "repos/contoso/asana-provisioning/issues/12/comments"]
    assert post == ["pr", "comment", "12", "--body-file", "impact-comment.md"]
    body = (tmp_path / "impact-comment.md").read_text()
    assert body.startswith("<!-- access-impact:dev -->\n### Access impact of stack `dev` (exit 0)")
    assert body.count("\n") == 3  # nobody affected: one line under the heading
    assert "nobody gains or loses Asana" in run.summary


def test_a_later_push_updates_the_stacks_impact_comment_in_place(tmp_path):
    run = comment_run(tmp_path, [{"id": 9, "body": "<!-- access-impact:dev -->\nold"}])

    (_, edit) = run.called("gh")
    assert edit[:3] == ["api", "-X", "PATCH"]
    assert edit[3] == "repos/contoso/asana-provisioning/issues/comments/9"
    assert not [call for call in run.called("gh") if call[:2] == ["pr", "comment"]]


@pytest.mark.parametrize(("code", "fails"), [("0", False), ("1", False), ("2", False), ("3", True)])
def test_only_a_broken_guardrail_fails_the_preview(tmp_path, code, fails):
    step = find_step(PREVIEW, "Fail when more would lose Asana")
    runs = step["if"].strip() == "steps.impact.outputs.code == '3'" and code == "3"

    run = run_step(step, tmp_path, {"matrix.stack": "prod"})

    assert runs is fails
    assert run.exit_code == 1  # the step, when its condition lets it run, fails the job
    assert "::error::More people would lose Asana in prod" in run.output


def test_the_impact_job_has_no_permission_beyond_the_preview_s():
    job = PREVIEW["jobs"]["preview"]

    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert json.dumps(job).count("tools.impact") == 1
