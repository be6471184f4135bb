"""The preview workflow's comment step, run with the workflow step recorder
(tests/workflow_runner.py): one pull-request comment per stack, posted on the first push and
updated in place on each later one (docs/ci.md's table of workflows)."""

from __future__ import annotations

from pathlib import Path

from tests.workflow_runner import find_step, load, run_step

ROOT = Path(__file__).resolve().parent.parent
PREVIEW = load(ROOT / ".github" / "workflows" / "preview.yml")
STEP = "Comment on the pull request"


def comment_run(tmp_path: Path, comments: list[dict]):
    """The comment step for stack dev on pull request 12, with `comments` already there."""
    (tmp_path / "preview.txt").write_text("Previewing update (dev):\nResources: 22 unchanged\n")
    context = {
        "github.token": "stand-in-token",
        "matrix.stack": "dev",
        "github.event.pull_request.number": "12",
        "steps.preview.outputs.code": "0",
    }
    marker = "<!-- pulumi-preview:dev -->"
    listed = "\n".join(str(c["id"]) for c in comments if c["body"].startswith(marker))
    answers = {
        "gh": [(["api", "repos/contoso/asana-provisioning/issues/12/comments"], {"stdout": listed})]
    }
    return run_step(find_step(PREVIEW, STEP), tmp_path, context, answers)


def test_the_first_push_posts_one_preview_comment_marked_for_the_stack(tmp_path):
    run = comment_run(tmp_path, [{"id": 5, "body": "<!-- access-impact:dev -->\n…"}])

    assert run.exit_code == 0, run.output
    (listing, post) = run.called("gh")
    assert listing[:2] == ["api", "repos/contoso/asana-provisioning/issues/12/comments"]
    assert post == ["pr", "comment", "12", "--body-file", "comment.md"]
    body = (tmp_path / "comment.md").read_text()
    assert body.startswith("<!-- pulumi-preview:dev -->\n### `pulumi preview` of stack `dev`")
    assert "Resources: 22 unchanged" in body


def test_a_later_push_updates_the_stacks_preview_comment_in_place(tmp_path):
    run = comment_run(tmp_path, [{"id": 9, "body": "<!-- pulumi-preview:dev -->\nold"}])

    assert run.exit_code == 0, run.output
    (_, edit) = run.called("gh")
    assert edit[:4] == ["api", "-X", "PATCH", "repos/contoso/asana-provisioning/issues/comments/9"]
    assert not [call for call in run.called("gh") if call[:2] == ["pr", "comment"]]
