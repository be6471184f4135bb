"""The drift report: Pulumi's --json preview and refresh documents in, Markdown and a status out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from scripts import drift_report

FIXTURES = Path(__file__).parent / "fixtures"
LEAKED = "leaked-if-you-see-this"


def run(
    tmp_path: Path, fixture: str, exit_code: int, kind: str = "refresh"
) -> tuple[int, str, str]:
    report, title = tmp_path / "report.md", tmp_path / "title.txt"
    status = drift_report.main(
        [
            "--stack", "prod",
            "--input", str(FIXTURES / fixture),
            "--pulumi-exit-code", str(exit_code),
            "--kind", kind,
            "--markdown", str(report),
            "--title", str(title),
        ]
    )  # fmt: skip
    return status, report.read_text(), title.read_text().strip()


def test_drift_is_reported_per_resource_under_its_portal_name(tmp_path: Path):
    status, report, title = run(tmp_path, "refresh_drift.json", 7)

    assert status == drift_report.DRIFT
    assert "## Drift in stack `prod`: 5 resource(s) changed outside Pulumi" in report
    assert (
        "### Attribute mappings: Synchronize users (`asana-user-attribute-mappings`, update)"
        in report
    )
    assert (
        '| `mappings[1].expression` | `Switch([IsSoftDeleted], , "False", "True", "True", "False")`'
        " | `Not([IsSoftDeleted])` |" in report
    )
    assert "| `scoping_filter[0][0].values[1]` | (none) | `Sales` |" in report
    assert "| `enabled` | `true` | `false` |" in report
    assert "| `rejection` | (none) | `HTTP 401: Not Authorized` |" in report
    assert "### Users and groups (`asana-group-asana-users-beda3352`, delete)" in report
    assert title == (
        "Drift in prod: Attribute mappings: Synchronize users; Provisioning: Provisioning status; "
        "Provisioning: Secret token (Test connection); Provisioning: Admin credentials and "
        "settings; Users and groups"
    )


def test_a_drift_report_says_to_put_the_stack_back_with_up_refresh_not_a_plain_up(
    tmp_path: Path,
):
    """A plain `pulumi up` compares the program with the recorded state and sees nothing to do
    after a portal change (docs/engine.md, "What the real engine found", item 2)."""
    _, report, _ = run(tmp_path, "refresh_drift.json", 7)

    assert "`pulumi up --refresh --stack prod`" in report
    assert "without `--refresh`, `up` compares with the recorded state" in report


def test_secrets_are_shown_as_secret_and_never_in_plain_text(tmp_path: Path):
    _, report, title = run(tmp_path, "refresh_drift.json", 7)

    assert "| `token` | `[secret]` | `[secret]` |" in report
    assert "| `credentials[1].value` | `[secret]` | `[secret]` |" in report
    assert LEAKED not in report and LEAKED not in title
    assert LEAKED in (FIXTURES / "refresh_drift.json").read_text(), "the fixture must hold one"


def test_no_drift_exits_zero_with_a_short_report(tmp_path: Path):
    status, report, title = run(tmp_path, "refresh_clean.json", 0)

    assert status == drift_report.NO_DRIFT
    assert report.startswith("## No drift in stack `prod`")
    assert title == "No drift in prod"


def test_a_pulumi_failure_is_not_drift(tmp_path: Path):
    status, report, title = run(tmp_path, "refresh_drift.json", 255)

    assert status == drift_report.FAILURE
    assert "Pulumi exited with 255" in report
    assert title == "Drift check failed for prod"


def test_output_that_is_not_a_preview_document_is_a_failure(tmp_path: Path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("error: could not load plugin\n")

    status = drift_report.main(
        ["--stack", "dev", "--input", str(garbage), "--pulumi-exit-code", "7",
         "--markdown", str(tmp_path / "r.md")]
    )  # fmt: skip

    assert status == drift_report.FAILURE


def test_a_preview_counts_resources_not_steps_and_a_planned_create_is_not_drift(tmp_path: Path):
    status, report, _ = run(tmp_path, "preview_changes.json", 7, kind="preview")

    assert status == drift_report.DRIFT
    assert "## Drift in stack `prod`: 1 resource(s) changed outside Pulumi" in report
    assert "| property | now | after `pulumi up` |" in report
    assert (
        "| `appRoleId` | `18d14569-c3bd-439b-9a66-3a2aee01d14f` | "
        "`b9632174-c057-4f7e-951b-be3adc52bfe6` |" in report
    )
    assert report.count("(`asana-group-5b0f6c2e`, replace)") == 1
    assert "delete-replaced" not in report and "create-replacement" not in report
    assert "asana-group-attribute-mappings" not in report  # new in the program: planned


@pytest.mark.parametrize(
    "value",
    [
        {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            "plaintext": '"x"',
        },
        "[secret]",
    ],
)
def test_a_secret_nested_anywhere_is_masked(value):
    document = {
        "steps": [
            {
                "op": "update",
                "urn": "urn:pulumi:dev::p::azuread:index/servicePrincipal:ServicePrincipal::sp",
                "oldState": {
                    "type": "azuread:index/servicePrincipal:ServicePrincipal",
                    "outputs": {"a": {"b": [value]}},
                },
                "newState": {
                    "type": "azuread:index/servicePrincipal:ServicePrincipal",
                    "outputs": {"a": {"b": ["y"]}},
                },
                "detailedDiff": {"a.b": {"kind": "update"}},
            }
        ]
    }

    (drifted,) = drift_report.drifted_resources(json.loads(json.dumps(document)))

    assert drifted.changes[0].before == '["[secret]"]'


REAL = FIXTURES / "real"  # captured from the real CLI by `python -m tests.e2e.capture_fixtures`


def run_real(tmp_path: Path, name: str, exit_code: int, events: bool) -> tuple[int, str, str]:
    report, title = tmp_path / "report.md", tmp_path / "title.txt"
    arguments = ["--stack", "demo", "--input", str(REAL / f"{name}.json")]
    if events:
        arguments += ["--events", str(REAL / f"{name}.events.jsonl")]
    arguments += ["--pulumi-exit-code", str(exit_code), "--markdown", str(report)]
    status = drift_report.main([*arguments, "--title", str(title)])
    return status, report.read_text(), title.read_text().strip()


def test_the_real_clis_json_alone_does_not_show_a_drifted_dynamic_resource(tmp_path: Path):
    _, report, _ = run_real(tmp_path, "refresh_drift", 7, events=False)

    assert "`asana-provisioning-job`" in report  # the stand-in azuread gives a detailed diff
    assert "`asana-token`" not in report  # a dynamic provider cannot; the CLI shows no change


def test_a_revoked_token_and_an_edited_mapping_are_named_from_the_real_event_log(tmp_path: Path):
    status, report, title = run_real(tmp_path, "refresh_drift", 7, events=True)

    assert status == drift_report.DRIFT
    assert "| `accepted` | `true` | `false` |" in report
    assert "| `enabled` | `true` | `false` |" in report  # a paused job: false, not absent
    assert '"attribute": "jobTitle"' in report and '"attribute": "department"' in report
    assert "(`asana-user-attribute-mappings`, update)" in report
    assert "(`asana-provisioning-secret`, update)" in report
    assert "| `credentials` | `[secret]` | `[secret]` |" in report
    assert "(`asana-user-asana-tester-contoso-com-b6fe04d6`, delete)" in report
    assert "Provisioning: Secret token (Test connection)" in title


def test_provider_bookkeeping_never_appears_in_a_report(tmp_path: Path):
    _, report, _ = run_real(tmp_path, "refresh_drift", 7, events=True)

    assert "__provider" not in report and "__meta" not in report and "__defaults" not in report


def test_a_clean_real_refresh_reports_no_drift(tmp_path: Path):
    status, report, _ = run_real(tmp_path, "refresh_clean", 0, events=True)

    assert status == drift_report.NO_DRIFT
    assert "No drift in stack `demo`" in report


def test_element_paths_from_the_real_cli_name_the_resource_and_the_element(tmp_path: Path):
    """Captured by `python -m tests.e2e.capture_fixtures --only element`: the notification
    email replaced and one added on the service principal, and a synchronization secret's
    credential changed; the azuread provider names each by element path, as the bridge does."""
    for events in (True, False):
        status, report, title = run_real(tmp_path, "refresh_element_drift", 7, events=events)

        assert status == drift_report.DRIFT and "No drift" not in report
        assert "(`asana-service-principal`, update)" in report
        assert (
            "| `notificationEmailAddresses[0]` | `identity-demo@contoso.com` | "
            "`identity-team@contoso.com` |" in report
        )
        # An added element has no recorded value (the state's element 1 would be another one).
        assert "| `notificationEmailAddresses[1]` | (none) | `sso-alerts@contoso.com` |" in report
        assert "(`asana-provisioning-secret`, update)" in report
        assert "| `credentials[2].value` | `[secret]` | `[secret]` |" in report
        assert "Enterprise application: Properties and single sign-on" in title


def test_a_removed_set_element_shows_no_live_value_at_its_old_index():
    document = {
        "steps": [
            {
                "op": "refresh",
                "urn": "urn:pulumi:dev::p::azuread:index/servicePrincipal:ServicePrincipal::sp",
                "oldState": {"outputs": {"owners": ["ada", "bob"]}},
                "newState": {"outputs": {"owners": ["bob"]}},
                "detailedDiff": {"owners[0]": {"kind": "delete", "inputDiff": False}},
            }
        ]
    }

    (drifted,) = drift_report.drifted_resources(document)

    assert drifted.changes == (drift_report.Change("owners[0]", "ada", "(none)"),)


def test_an_unwritable_report_path_is_refused_before_reading_anything(tmp_path: Path, capsys):
    report = tmp_path / "missing" / "report.md"

    status = drift_report.main(
        [
            "--stack", "prod", "--input", str(tmp_path / "no-such-input.json"),
            "--pulumi-exit-code", "0", "--markdown", str(report),
        ]
    )  # fmt: skip

    assert status == drift_report.FAILURE
    error = capsys.readouterr().err
    assert f"--markdown {report}: the folder {report.parent} does not exist" in error
    assert "Traceback" not in error


def unnamed_changes(tmp_path: Path, summary: dict[str, int] | None) -> Path:
    """The real clean refresh's --json document with the given change summary: every step an
    unchanged refresh, as the CLI writes it for a dynamic resource that drifted."""
    document = json.loads((REAL / "refresh_clean.json").read_text())
    if summary is None:
        document.pop("changeSummary", None)
    else:
        document["changeSummary"] = summary
    path = tmp_path / "unnamed.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("summary", "exit_code", "expected"),
    [
        ({"same": 13, "update": 2}, 7, "2 change(s) the CLI reported could not be named"),
        (None, 7, "at least 1 change(s) the CLI reported could not be named"),
        ({"same": 13, "update": 1}, 0, "1 change(s) the CLI reported could not be named"),
    ],
    ids=["exit 7 and a count", "exit 7 alone", "a count alone"],
)
def test_changes_the_cli_reported_but_nothing_names_are_drift_not_no_drift(
    tmp_path: Path, summary, exit_code, expected
):
    report, title = tmp_path / "report.md", tmp_path / "title.txt"
    status = drift_report.main(
        [
            "--stack", "demo", "--input", str(unnamed_changes(tmp_path, summary)),
            "--pulumi-exit-code", str(exit_code), "--markdown", str(report), "--title", str(title),
        ]
    )  # fmt: skip

    assert status == drift_report.DRIFT
    assert expected in report.read_text()
    assert "No drift" not in report.read_text() and "No drift" not in title.read_text()


def test_changes_the_json_alone_misses_are_counted_beside_those_it_names(tmp_path: Path):
    status, report, title = run_real(tmp_path, "refresh_drift", 7, events=False)

    assert status == drift_report.DRIFT
    assert "`asana-provisioning-job`" in report
    assert "change(s) the CLI reported could not be named" in report
    assert title.endswith("unnamed change(s)")


WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "drift.yml"
STACK_ISSUE = WORKFLOW.parent.parent / "actions" / "stack-issue" / "action.yml"


def workflow_exit_codes() -> tuple[set[str], str]:
    """What the drift workflow and its issue action take each exit status of the check to mean,
    read from the files as written: the statuses the issue step runs on (a verdict) and the one
    on which the action opens or updates the issue (drift)."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["drift"]["steps"]
    (check,) = [s for s in steps if s.get("id") == "report"]
    assert "scripts.drift_check" in check["run"] and 'echo "status=$?"' in check["run"]
    (issue,) = [s for s in steps if s.get("with", {}).get("label") == "drift"]
    verdicts = set(re.findall(r"steps\.report\.outputs\.status == '(\d+)'", issue["if"]))
    action = yaml.safe_load(STACK_ISSUE.read_text())
    script = action["runs"]["steps"][0]["run"]
    (opens,) = re.findall(r'if \[ "\$STATUS" = (\d+) \]; then', script)
    return verdicts, opens


def test_the_exit_statuses_are_the_ones_the_drift_workflow_acts_on(tmp_path: Path):
    """Not the module's own constants: the workflow hard-codes the numbers, so the report's
    statuses are compared with what drift.yml and the stack-issue action test for."""
    verdicts, opens_issue = workflow_exit_codes()
    (closes_issue,) = verdicts - {opens_issue}

    drift, _, _ = run(tmp_path, "refresh_drift.json", 7)
    clean, _, _ = run(tmp_path, "refresh_clean.json", 0)
    failed, _, _ = run(tmp_path, "refresh_drift.json", 255)

    assert str(drift) == opens_issue
    assert str(clean) == closes_issue
    assert str(failed) not in verdicts, "a failed check must touch no issue"
