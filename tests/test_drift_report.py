"""The drift report: Pulumi's --json preview and refresh documents in, Markdown and a status out."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
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


@pytest.mark.parametrize(
    "argv",
    [["--stack"], ["--stakc", "prod"], [], ["--stack", "prod", "--timeout", "soon"]],
    ids=["an option without its value", "a misspelt option", "none", "a timeout not a number"],
)
def test_wrong_options_to_the_check_the_workflow_runs_touch_no_issue(argv, capsys):
    """argparse exits 2 on a usage error, the status drift.yml takes for drift: the check must
    end a typo in its options as a failure, never as a verdict."""
    from scripts import drift_check

    verdicts, _ = workflow_exit_codes()

    with pytest.raises(SystemExit) as ended:
        drift_check.main(argv)

    assert str(ended.value.code) not in verdicts
    assert ended.value.code == 1  # docs/drift.md: 1, the check failed
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m scripts.drift_check")
    assert "\npython -m scripts.drift_check: error: " in err  # and what was wrong


# The engine's events as the CLI's --event-log writes them, one JSON object a line, in the wire
# format the Automation API reads (`EngineEvent.from_json`, pulumi/automation/events.py:
# resourcePreEvent / resOutputsEvent carry a StepEventMetadata: op, urn, type, old, new,
# detailedDiff of PropertyDiff {diffKind, inputDiff}).
APP = "asana-provisioning:index:AsanaEnterpriseApp"
MAPPINGS = "asana-provisioning:index:ProvisioningAttributeMappings"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
JOB = "azuread:index/synchronizationJob:SynchronizationJob"


def urn_of(resource_type: str, name: str, parent: str = APP) -> str:
    """A URN as Pulumi writes it: urn:pulumi:<stack>::<project>::<parent types $ type>::<name>."""
    return f"urn:pulumi:demo::asana-provisioning::{parent}${resource_type}::{name}"


def state_of(resource_type: str, urn: str, inputs=None, outputs=None) -> dict:
    return {"type": resource_type, "urn": urn, "inputs": inputs, "outputs": outputs}


def refreshed(
    resource_type: str,
    name: str,
    op: str,
    old: dict | None,
    new: dict | None,
    detailed_diff: dict[str, str] | None = None,
    metadata_type: str | None = None,
    refresh_first: bool = True,
) -> list[str]:
    """The event log lines of one refreshed resource: the refresh's pre event, then the outputs
    event whose op says what the refresh found (update, delete, same, ...)."""
    urn = urn_of(resource_type, name)
    step_type = resource_type if metadata_type is None else metadata_type
    lines = []
    if refresh_first:
        pre = {"op": "refresh", "urn": urn, "type": step_type, "provider": ""}
        lines.append(json.dumps({"sequence": 1, "resourcePreEvent": {"metadata": pre}}))
    metadata = {
        "op": op,
        "urn": urn,
        "type": step_type,
        "provider": "",
        "old": state_of(resource_type, urn, **old) if old is not None else None,
        "new": state_of(resource_type, urn, **new) if new is not None else None,
        "detailedDiff": {
            path: {"diffKind": kind, "inputDiff": False}
            for path, kind in (detailed_diff or {}).items()
        },
    }
    lines.append(json.dumps({"sequence": 2, "resOutputsEvent": {"metadata": metadata}}))
    return lines


def summary_line(**changes: int) -> str:
    summary = {"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes}
    return json.dumps({"sequence": 99, "summaryEvent": summary})


def from_events(*lines: str, document: str | None = None, exit_code: int = 7, **kwargs):
    """The report built from the given event log lines (and, if given, a --json document)."""
    events = drift_report.read_event_log(lines)
    return drift_report.build_report("demo", document, exit_code, events=events, **kwargs)


def test_a_deleted_resource_is_named_from_its_recorded_state_and_lists_no_properties():
    """A refresh that finds the resource gone: the outputs event's op is `delete` and it has no
    new state (StepEventMetadata.new is None); the report names the resource from the old one."""
    lines = refreshed(
        MAPPINGS,
        "asana-user-attribute-mappings",
        "delete",
        old={"inputs": {"kind": "user"}, "outputs": {"kind": "user", "mappings": ["a"]}},
        new=None,
        metadata_type="",
    )

    report = from_events(*lines)

    assert report.status == drift_report.DRIFT
    assert (
        "### Attribute mappings: Synchronize users (`asana-user-attribute-mappings`, delete)\n\n"
        "The resource is gone or was replaced.\n" in report.markdown
    )
    assert "| property |" not in report.markdown


def test_a_resource_whose_event_has_no_type_is_named_from_its_state_type():
    lines = refreshed(
        SERVICE_PRINCIPAL,
        "asana-service-principal",
        "update",
        old={"outputs": {"notes": "before"}},
        new={"outputs": {"notes": "after"}},
        detailed_diff={"notes": "update"},
        metadata_type="",
    )

    report = from_events(*lines)

    assert (
        "### Enterprise application: Properties and single sign-on (`asana-service-principal`, "
        "update)" in report.markdown
    )
    assert "| `notes` | `before` | `after` |" in report.markdown


def test_an_update_the_refresh_did_not_start_is_not_drift():
    """Only resources the refresh read can have drifted: an outputs event without a refresh pre
    event for its URN (another operation's step) names nothing."""
    lines = refreshed(
        JOB,
        "asana-provisioning-job",
        "update",
        old={"outputs": {"enabled": True}},
        new={"outputs": {"enabled": False}},
        detailed_diff={"enabled": "update"},
        refresh_first=False,
    )

    report = from_events(*lines, exit_code=0)

    assert report.status == drift_report.NO_DRIFT
    assert "asana-provisioning-job" not in report.markdown


@pytest.mark.parametrize("op", ["same", "refresh"], ids=["same", "refresh"])
def test_a_refreshed_resource_the_engine_found_unchanged_is_not_drift(op):
    lines = refreshed(
        JOB,
        "asana-provisioning-job",
        op,
        old={"outputs": {"enabled": True}},
        new={"outputs": {"enabled": False}},
    )

    report = from_events(*lines, exit_code=0)

    assert report.status == drift_report.NO_DRIFT
    assert report.title == "No drift in demo"


def test_an_update_of_bookkeeping_alone_is_not_drift_and_does_not_hide_the_next_resource():
    bookkeeping = refreshed(
        JOB,
        "asana-provisioning-job",
        "update",
        old={"outputs": {"__meta": "{}", "enabled": True}},
        new={"outputs": {"__meta": '{"schema_version": "1"}', "enabled": True}},
        detailed_diff={"__meta": "update"},
    )
    paused = refreshed(
        SERVICE_PRINCIPAL,
        "asana-service-principal",
        "update",
        old={"outputs": {"accountEnabled": True}},
        new={"outputs": {"accountEnabled": False}},
        detailed_diff={"accountEnabled": "update"},
    )

    report = from_events(*bookkeeping, *paused)

    assert "asana-provisioning-job" not in report.markdown
    assert "(`asana-service-principal`, update)" in report.markdown
    assert "| `accountEnabled` | `true` | `false` |" in report.markdown
    assert "## Drift in stack `demo`: 1 resource(s) changed outside Pulumi" in report.markdown


def test_an_element_the_event_says_was_added_has_no_recorded_value_even_where_the_index_was_used():
    """DiffKind ADD: the element was added. In a set the index is the element's place on the
    new side only: the state's element at that index is another one, not its recorded value."""
    lines = refreshed(
        SERVICE_PRINCIPAL,
        "asana-service-principal",
        "update",
        old={"outputs": {"notificationEmailAddresses": ["a@contoso.com", "c@contoso.com"]}},
        new={
            "outputs": {
                "notificationEmailAddresses": ["a@contoso.com", "b@contoso.com", "c@contoso.com"]
            }
        },
        detailed_diff={"notificationEmailAddresses[1]": "add"},
    )

    report = from_events(*lines)

    assert "| `notificationEmailAddresses[1]` | (none) | `b@contoso.com` |" in report.markdown


def test_a_property_only_in_the_inputs_of_an_event_state_is_shown_from_the_inputs():
    lines = refreshed(
        JOB,
        "asana-provisioning-job",
        "update",
        old={"inputs": {"templateId": "asana"}, "outputs": {}},
        new={"inputs": {"templateId": "asana2"}, "outputs": {}},
        detailed_diff={"templateId": "update"},
    )

    report = from_events(*lines)

    assert "| `templateId` | `asana` | `asana2` |" in report.markdown


def test_the_engines_summary_count_is_drift_beyond_what_the_events_name():
    """SummaryEvent.resource_changes counts changed resources; more than the events name is
    drift that cannot be named, counted exactly."""
    lines = refreshed(
        JOB,
        "asana-provisioning-job",
        "update",
        old={"outputs": {"enabled": True}},
        new={"outputs": {"enabled": False}},
        detailed_diff={"enabled": "update"},
    )

    report = from_events(*lines, summary_line(same=5, update=3), document='{"steps": []}')

    assert "2 change(s) the CLI reported could not be named" in report.markdown
    assert "at least" not in report.markdown
    assert "Pulumi exited 7 and counted 3" in report.markdown
    assert (
        "(Pulumi exited 7 and counted 3), but neither its --json document nor the event log "
        "says which resources they are. " in report.markdown
    )
    assert report.title.endswith("; 2 unnamed change(s)")


def test_changes_only_the_exit_code_reports_are_a_lower_bound_and_say_what_was_not_read():
    clean = (REAL / "refresh_clean.json").read_text()

    without_events = drift_report.build_report("demo", clean, 7)
    from_events_alone = from_events(document=None, exit_code=7)

    for report in (without_events, from_events_alone):
        assert report.status == drift_report.DRIFT
        assert report.markdown.startswith(
            "## Drift in stack `demo`: at least 1 change(s) the CLI reported could not be named\n"
        )
        assert (
            "At least 1 change(s) the CLI reported could not be named (Pulumi exited 7: changes "
            "found), but " in report.markdown
        )
        assert "`pulumi refresh --preview-only --diff --stack demo`" in report.markdown
        assert report.title == "Drift in demo: at least 1 unnamed change(s)"
    assert "no event log was read" in without_events.markdown
    assert "the engine's events do not say" in from_events_alone.markdown
    assert "no event log was read" not in from_events_alone.markdown


def test_a_count_without_the_exit_code_says_only_what_pulumi_counted():
    clean = json.loads((REAL / "refresh_clean.json").read_text())
    clean["changeSummary"] = {"same": 12, "update": 2}

    report = drift_report.build_report("demo", json.dumps(clean), 0)

    assert "2 change(s) the CLI reported could not be named (Pulumi counted 2)" in report.markdown
    assert "exited" not in report.markdown


def one_step(step: dict, kind: str = "refresh") -> drift_report.Drifted:
    """The one drifted resource of a --json document holding `step`."""
    (drifted,) = drift_report.drifted_resources({"steps": [step]}, kind)
    return drifted


def sp_step(old: dict, new: dict, **fields) -> dict:
    """A service principal's step in a --json document (oldState/newState as the CLI writes)."""
    urn = urn_of(SERVICE_PRINCIPAL, "asana-service-principal")
    return {
        "op": "update",
        "urn": urn,
        "oldState": state_of(SERVICE_PRINCIPAL, urn, outputs=old),
        "newState": state_of(SERVICE_PRINCIPAL, urn, outputs=new),
        **fields,
    }


@pytest.mark.parametrize("reasons", ["diffReasons", "replaceReasons"], ids=["diff", "replace"])
def test_without_a_detailed_diff_the_steps_reasons_name_the_changed_properties(reasons):
    """A step without `detailedDiff` still lists the properties that differ (`diffReasons`) or
    force a replacement (`replaceReasons`); other outputs that differ are not named."""
    step = sp_step(
        {"appRoleAssignmentRequired": True, "objectId": "1"},
        {"appRoleAssignmentRequired": False, "objectId": "2"},
        **{reasons: ["appRoleAssignmentRequired"]},
    )

    drifted = one_step(step)

    assert drifted.changes == (drift_report.Change("appRoleAssignmentRequired", "true", "false"),)


def test_without_a_diff_or_reasons_every_differing_output_is_named_including_an_added_one():
    drifted = one_step(sp_step({"notes": "a"}, {"notes": "b", "loginUrl": "https://x.example"}))

    assert drifted.changes == (
        drift_report.Change("loginUrl", "(none)", "https://x.example"),
        drift_report.Change("notes", "a", "b"),
    )


def test_bookkeeping_listed_first_does_not_hide_the_properties_after_it():
    step = sp_step(
        {"__meta": "1", "notes": "a"},
        {"__meta": "2", "notes": "b"},
        detailedDiff={"__meta": {"kind": "update"}, "notes": {"kind": "update"}},
    )

    assert one_step(step).changes == (drift_report.Change("notes", "a", "b"),)


def test_a_property_going_to_its_zero_value_shows_the_live_value_not_none():
    """Terraform calls a property set to its zero value "deleted", but the live value is false."""
    step = sp_step(
        {"accountEnabled": True},
        {"accountEnabled": False},
        detailedDiff={"accountEnabled": {"kind": "delete"}},
    )

    assert one_step(step).changes == (drift_report.Change("accountEnabled", "true", "false"),)


def test_a_quoted_property_path_segment_is_read_as_one_key():
    """Pulumi quotes a key that holds a dot: `tags["team.name"]`."""
    step = sp_step(
        {"tags": {"team.name": "identity"}},
        {"tags": {"team.name": "security"}},
        detailedDiff={'tags["team.name"]': {"kind": "update"}},
    )

    assert one_step(step).changes == (
        drift_report.Change('tags["team.name"]', "identity", "security"),
    )


def test_a_credential_nested_in_a_changed_object_is_masked():
    step = sp_step(
        {"connection": {"url": "https://a.example", "token": LEAKED}},
        {"connection": {"url": "https://b.example", "clientSecret": LEAKED}},
        detailedDiff={"connection": {"kind": "update"}},
    )

    (change,) = one_step(step).changes

    assert json.loads(change.before) == {"url": "https://a.example", "token": "[secret]"}
    assert json.loads(change.after) == {"url": "https://b.example", "clientSecret": "[secret]"}


def test_both_sides_of_an_object_list_its_keys_in_the_same_order():
    step = sp_step(
        {"info": {"termsOfServiceUrl": "t", "marketingUrl": "m"}},
        {"info": {"marketingUrl": "m2", "termsOfServiceUrl": "t"}},
        detailedDiff={"info": {"kind": "update"}},
    )

    (change,) = one_step(step).changes

    assert list(json.loads(change.before)) == list(json.loads(change.after))


def test_a_long_value_is_cut_to_the_limit_with_an_ellipsis_and_a_value_at_the_limit_is_whole():
    limit = drift_report._MAX_VALUE
    whole, long = "w" * limit, "abcdefghij" * limit
    step = sp_step(
        {"notes": whole},
        {"notes": long},
        detailedDiff={"notes": {"kind": "update"}},
    )

    (change,) = one_step(step).changes

    assert change.before == whole
    assert len(change.after) == limit
    assert change.after == long[: limit - 1] + "…"


def test_a_table_cell_escapes_pipes_and_keeps_to_one_line():
    """A GitHub Markdown table row is one line; a `|` inside a cell must be escaped as `\\|`."""
    step = sp_step(
        {"notes": "a | b\nc"},
        {"notes": "d"},
        detailedDiff={"notes": {"kind": "update"}},
    )
    drifted = drift_report.drifted_resources({"steps": [step]})

    report = drift_report.markdown("demo", drifted, "refresh")

    assert "| `notes` | `a \\| b c` | `d` |" in report


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"inputs": {"kind": "group"}, "outputs": {}}, "Attribute mappings: Synchronize groups"),
        ({"inputs": {}, "outputs": {"kind": "user"}}, "Attribute mappings: Synchronize users"),
        ({"inputs": {}, "outputs": {"mappings": []}}, "Attribute mappings"),
    ],
    ids=["kind in inputs", "kind in outputs", "no kind"],
)
def test_attribute_mappings_are_named_by_the_object_they_synchronize(state, expected):
    urn = urn_of(MAPPINGS, "asana-mappings")
    old = {"type": MAPPINGS, **state, "outputs": {**state["outputs"], "n": 1}}
    new = {"type": MAPPINGS, **state, "outputs": {**state["outputs"], "n": 2}}
    step = {"op": "update", "urn": urn, "oldState": old, "newState": new}

    assert one_step(step).portal_name == expected


def test_a_deleted_mapping_resource_in_a_document_is_named_from_its_recorded_state():
    urn = urn_of(MAPPINGS, "asana-group-attribute-mappings")
    step = {"op": "delete", "urn": urn, "oldState": state_of(MAPPINGS, urn, {"kind": "group"})}

    drifted = one_step(step)

    assert drifted.portal_name == "Attribute mappings: Synchronize groups"
    assert drifted.resource == "asana-group-attribute-mappings"


def test_a_resource_type_the_portal_has_no_name_for_is_shown_by_its_type_token():
    random_type = "random:index/randomId:RandomId"
    urn = urn_of(random_type, "suffix")
    step = {
        "op": "update",
        "urn": urn,
        "oldState": state_of(random_type, urn, outputs={"hex": "aa"}),
        "newState": state_of(random_type, urn, outputs={"hex": "bb"}),
    }

    assert one_step(step).portal_name == random_type


def test_without_a_type_in_its_states_a_resource_is_named_from_its_urn():
    """The URN's type part lists the parents' types then the resource's, joined by `$`
    (urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>)."""
    random_type = "random:index/randomId:RandomId"
    nested = f"{APP}$asana-provisioning:index:Part"
    for resource_type, parent in ((SERVICE_PRINCIPAL, APP), (random_type, nested)):
        urn = urn_of(resource_type, "r", parent=parent)
        step = {
            "op": "update",
            "urn": urn,
            "oldState": {"outputs": {"notes": "a"}},
            "newState": {"outputs": {"notes": "b"}},
        }

        expected = drift_report.PORTAL_NAMES.get(resource_type.rsplit(":", 1)[-1], random_type)
        assert one_step(step).portal_name == expected


@pytest.mark.parametrize(
    "name",
    ["a-name-with::a-name-separator", "a-name-with::many::name::separators"],
    ids=["one separator", "many separators"],
)
def test_a_resource_name_holding_the_urns_separator_is_shown_whole(name: str):
    """Pulumi reads a URN's name as everything after its third `::` (URN.Name in
    sdk/go/common/resource/urn/urn.go; these names are from its urn_test.go): a name may hold
    `::` itself, in the --json document and in the event log alike."""
    urn = urn_of(SERVICE_PRINCIPAL, name)
    step = {
        "op": "update",
        "urn": urn,
        "oldState": state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "a"}),
        "newState": state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "b"}),
    }
    lines = refreshed(
        SERVICE_PRINCIPAL,
        name,
        "update",
        old={"outputs": {"notes": "a"}},
        new={"outputs": {"notes": "b"}},
        detailed_diff={"notes": "update"},
    )

    (from_events,) = drift_report.drifted_from_events(drift_report.read_event_log(lines))

    assert one_step(step).resource == name
    assert from_events.resource == name


def test_a_resource_refreshed_then_updated_in_one_document_is_reported_once():
    """`pulumi preview --refresh` lists a refresh step and then the program's step for the same
    resource."""
    urn = urn_of(SERVICE_PRINCIPAL, "asana-service-principal")
    old = state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "a"})
    new = state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "b"})
    steps = [
        {"op": "refresh", "urn": urn, "oldState": old, "newState": new},
        {"op": "update", "urn": urn, "oldState": new, "newState": old},
    ]

    drifted = drift_report.drifted_resources({"steps": steps})

    assert [d.resource for d in drifted] == ["asana-service-principal"]


@pytest.mark.parametrize(
    "document",
    ["[]", '{"steps": "none"}', '"steps"'],
    ids=["a list", "steps not a list", "a string"],
)
def test_json_that_is_not_a_preview_document_is_a_failed_check_naming_why(document):
    report = drift_report.build_report("prod", document, 0)

    assert report.status == drift_report.FAILURE
    assert report.title == "Drift check failed for prod"
    assert report.markdown == (
        "## Drift check failed for stack `prod`\n\n"
        "not a Pulumi --json preview document (no steps list)\n"
    )


def test_a_pulumi_failure_is_a_failed_check_for_that_stack():
    report = drift_report.build_report("prod", "{}", 255)

    assert report.status == drift_report.FAILURE
    assert report.title == "Drift check failed for prod"
    assert "## Drift check failed for stack `prod`" in report.markdown


def test_a_planned_create_is_not_counted_as_a_change_in_a_preview():
    """In a preview, what the program adds is planned, not drift: neither its step nor the
    change summary's `create` count is drift."""
    document = {"steps": [], "changeSummary": {"create": 2, "same": 11}}

    report = drift_report.build_report("prod", json.dumps(document), 0, kind="preview")

    assert report.status == drift_report.NO_DRIFT


def test_a_refresh_report_compares_the_recorded_state_with_the_live_one_by_default():
    step = sp_step({"notes": "a"}, {"notes": "b"}, detailedDiff={"notes": {"kind": "update"}})

    report = drift_report.build_report("prod", json.dumps({"steps": [step]}), 7)

    assert "| property | recorded in state | live in Entra/Asana |\n|---|---|---|\n" in (
        report.markdown
    )


def cli(tmp_path: Path, *arguments: str, exit_code: str = "7") -> tuple[int, str, str]:
    """main() on the real drift fixture with extra arguments; the status, report and title."""
    report, title = tmp_path / "report.md", tmp_path / "title.txt"
    status = drift_report.main(
        [
            "--stack", "prod", "--pulumi-exit-code", exit_code,
            "--markdown", str(report), "--title", str(title), *arguments,
        ]
    )  # fmt: skip
    return status, report.read_text(), title.read_text()


def test_an_input_that_cannot_be_read_is_a_failed_check_naming_the_file(tmp_path: Path):
    missing = tmp_path / "no-such-refresh.json"

    status, report, title = cli(tmp_path, "--input", str(missing))

    assert status == drift_report.FAILURE
    assert report.startswith("## Drift check failed for stack `prod`\n\n")
    assert str(missing) in report
    assert title == "Drift check failed for prod\n"


def test_an_event_log_line_that_is_not_an_object_is_a_failed_check(tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_text('{"sequence": 0}\n[1, 2]\n')

    status, report, _ = cli(
        tmp_path, "--input", str(REAL / "refresh_drift.json"), "--events", str(events)
    )

    assert status == drift_report.FAILURE
    assert report == (
        "## Drift check failed for stack `prod`\n\n"
        "not a Pulumi event log (a line is not an object)\n"
    )


def test_with_a_bad_event_log_a_pulumi_failure_is_still_reported_as_pulumis(tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_text("[]\n")

    status, report, _ = cli(
        tmp_path, "--input", str(REAL / "refresh_drift.json"), "--events", str(events),
        exit_code="255",
    )  # fmt: skip

    assert status == drift_report.FAILURE
    assert "Pulumi exited with 255" in report


def test_a_blank_line_in_the_event_log_does_not_end_it(tmp_path: Path):
    lines = (REAL / "refresh_drift.events.jsonl").read_text().splitlines()
    events = tmp_path / "events.jsonl"
    events.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n")

    status, report, _ = cli(
        tmp_path, "--input", str(REAL / "refresh_drift.json"), "--events", str(events)
    )

    assert status == drift_report.DRIFT
    assert "| `accepted` | `true` | `false` |" in report


def test_without_markdown_the_report_goes_to_standard_output(tmp_path: Path, capsys):
    status = drift_report.main(
        ["--stack", "prod", "--input", str(FIXTURES / "refresh_clean.json"),
         "--pulumi-exit-code", "0"]
    )  # fmt: skip

    assert status == drift_report.NO_DRIFT
    assert capsys.readouterr().out.startswith("## No drift in stack `prod`")


def test_a_report_that_cannot_be_written_after_all_is_a_failure_on_standard_error(
    tmp_path: Path, capsys
):
    report = drift_report.Report(drift_report.DRIFT, "## Drift\n", "Drift in prod: x")
    gone = tmp_path / "gone" / "report.md"

    status = drift_report.write(report, gone, None)

    assert status == drift_report.FAILURE
    captured = capsys.readouterr()
    assert captured.err.startswith("error: cannot write the report: ")
    assert str(gone) in captured.err
    assert captured.out == ""


def test_the_report_and_title_are_written_as_utf8(tmp_path: Path):
    report = drift_report.Report(drift_report.DRIFT, "## Drift … `ä`\n", "Drift in prod: ä…")
    markdown, title = tmp_path / "report.md", tmp_path / "title.txt"

    drift_report.write(report, markdown, title)

    assert markdown.read_bytes() == "## Drift … `ä`\n".encode()
    assert title.read_bytes() == "Drift in prod: ä…\n".encode()


def test_an_unwritable_title_path_is_refused_by_name(tmp_path: Path, capsys):
    title = tmp_path / "missing" / "title.txt"

    status = drift_report.main(
        ["--stack", "prod", "--input", str(FIXTURES / "refresh_clean.json"),
         "--pulumi-exit-code", "0", "--title", str(title)]
    )  # fmt: skip

    assert status == drift_report.FAILURE
    assert f"error: --title {title}: the folder {title.parent} does not exist" in (
        capsys.readouterr().err
    )


def test_a_folder_to_keep_output_in_must_be_an_existing_folder(tmp_path: Path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")

    assert drift_report.folder_problem("--keep", None) is None
    assert drift_report.folder_problem("--keep", tmp_path) is None
    assert drift_report.folder_problem("--keep", a_file) == (
        f"--keep {a_file}: not an existing folder"
    )
    assert drift_report.folder_problem("--keep", tmp_path / "missing") == (
        f"--keep {tmp_path / 'missing'}: not an existing folder"
    )


# `nobody` and `nogroup` on Debian and Ubuntu (the runners' systems): a user that owns nothing.
NOBODY = 65534


def as_nobody(check: Callable[[], str | None]) -> str | None:
    """What `check()` answers in a forked child that has given up root for uid and gid 65534:
    root passes every permission test (os.access), the user a workflow runs as does not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(write_end, json.dumps(check()).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        ready, _, _ = select.select([answer], [], [], 30)
        text = answer.read() if ready else ""
    _, status = os.waitpid(pid, 0)
    assert ready and os.waitstatus_to_exitcode(status) == 0, "the child gave no answer"
    return json.loads(text)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder every user may enter and read (pytest's tmp_path is its owner's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="drift-report-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_a_folder_to_keep_output_in_that_the_user_cannot_write_into_is_refused(
    shared_folder: Path,
):
    """docs/drift.md: --keep is checked before the refresh starts. A folder others may only
    enter and read (0755) is fine for its owner and refused for anyone else."""
    keep = shared_folder / "keep"
    keep.mkdir()
    keep.chmod(0o755)
    refused = f"--keep {keep}: not writable"

    assert drift_report.folder_problem("--keep", keep) is None  # its owner may write into it
    if os.geteuid() == 0:
        assert as_nobody(lambda: drift_report.folder_problem("--keep", keep)) == refused
    else:
        keep.chmod(0o500)  # now its owner may not either
        if os.access(keep, os.W_OK):
            pytest.skip("this user writes where the mode forbids it (a capability)")
        assert drift_report.folder_problem("--keep", keep) == refused


def test_a_report_file_the_user_cannot_write_is_refused_even_in_a_folder_it_can_write(
    shared_folder: Path,
):
    """An earlier report.md left in the runner's workspace by another user (a step run as root
    in a container, say): the file is what would be written, not its folder."""
    workspace = shared_folder / "workspace"
    workspace.mkdir()
    report = workspace / "report.md"
    report.write_text("## an earlier report\n")
    report.chmod(0o644)
    refused = f"--markdown {report}: not writable"

    if os.geteuid() == 0:
        os.chown(workspace, NOBODY, NOBODY)  # nobody's folder, root's file in it
        assert drift_report.file_problem("--markdown", report) is None  # root owns the file
        assert as_nobody(lambda: drift_report.file_problem("--markdown", report)) == refused
    else:
        report.chmod(0o444)
        if os.access(report, os.W_OK):
            pytest.skip("this user writes where the mode forbids it (a capability)")
        assert os.access(workspace, os.W_OK)
        assert drift_report.file_problem("--markdown", report) == refused


@pytest.mark.parametrize(
    "missing",
    ["--stack", "--input", "--pulumi-exit-code"],
    ids=["stack", "input", "exit code"],
)
def test_each_required_option_is_required(tmp_path: Path, missing, capsys):
    given = {
        "--stack": "prod",
        "--input": str(FIXTURES / "refresh_clean.json"),
        "--pulumi-exit-code": "0",
    }
    arguments = [part for flag, value in given.items() if flag != missing for part in (flag, value)]

    with pytest.raises(SystemExit) as exited:
        drift_report.main([*arguments, "--markdown", str(tmp_path / "r.md")])

    assert exited.value.code != 0
    assert missing in capsys.readouterr().err
    assert not (tmp_path / "r.md").exists()


def test_kind_is_refresh_or_preview_only(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        drift_report.main(
            ["--stack", "prod", "--input", str(FIXTURES / "refresh_clean.json"),
             "--pulumi-exit-code", "0", "--kind", "up", "--markdown", str(tmp_path / "r.md")]
        )  # fmt: skip

    assert "--kind" in capsys.readouterr().err
    assert not (tmp_path / "r.md").exists()


def test_the_default_kind_is_a_refresh(tmp_path: Path):
    report = tmp_path / "r.md"

    drift_report.main(
        ["--stack", "prod", "--input", str(FIXTURES / "refresh_drift.json"),
         "--pulumi-exit-code", "7", "--markdown", str(report)]
    )  # fmt: skip

    assert "| property | recorded in state | live in Entra/Asana |" in report.read_text()


def test_the_help_shows_the_command_its_options_and_the_exit_statuses_once(capsys):
    """The usage is the command docs/drift.md runs; the exit statuses are the ones the drift
    workflow acts on (drift.yml, the stack-issue action)."""
    with pytest.raises(SystemExit):
        drift_report.main(["--help"])
    text = capsys.readouterr().out

    assert text.startswith("usage: python -m scripts.drift_report ")
    for option in ("--input FILE", "--pulumi-exit-code CODE", "--events FILE",
                   "--markdown FILE", "--title FILE"):  # fmt: skip
        assert option in text
    verdicts, opens_issue = workflow_exit_codes()
    (closes_issue,) = verdicts - {opens_issue}
    assert text.lower().count("exit status:") == 1
    assert f"\n  {closes_issue}  no drift" in text and f"\n  {opens_issue}  drift" in text
    assert "--preview-only" in text.split("exit status:")[0]


def test_a_long_title_is_cut_with_an_ellipsis_to_fit_an_issue_title():
    """GitHub issue titles are limited (the stack-issue action cuts at 250 with the prefix)."""
    drifted = [
        drift_report.Drifted(f"Portal blade number {n:03}", f"r{n}", "update", ())
        for n in range(40)
    ]

    title = drift_report.title("prod", drifted)

    assert len(title) <= 200
    assert title.endswith("…")
    full = "Drift in prod: " + "; ".join(d.portal_name for d in drifted)
    assert full.startswith(title[:-1])


DRIFT_DOC = Path(__file__).resolve().parent.parent / "docs" / "drift.md"


def test_a_title_of_the_documented_length_is_whole_and_one_longer_is_cut_to_it():
    """docs/drift.md gives the title's length; it must stay under the stack-issue action's own
    cut (`${title:0:N}`), which would drop the `…` that says the title was cut."""
    doc = " ".join(DRIFT_DOC.read_text().split())
    (limit,) = {int(n) for n in re.findall(r"cut to (\d+) characters, the last one `…`", doc)}
    (action_cut,) = set(re.findall(r"\$\{title:0:(\d+)\}", STACK_ISSUE.read_text()))
    assert limit < int(action_cut)
    prefix = "Drift in prod: "

    def title_of_length(length: int) -> tuple[str, str]:
        name = "Users and groups " * 20
        portal_name = name[: length - len(prefix)]
        drifted = [drift_report.Drifted(portal_name, "r", "update", ())]
        return prefix + portal_name, drift_report.title("prod", drifted)

    full, title = title_of_length(limit)
    assert title == full and len(title) == limit

    full, title = title_of_length(limit + 1)
    assert len(title) == limit
    assert title == full[: limit - 1] + "…"


ASSIGNMENT = "azuread:index/appRoleAssignment:AppRoleAssignment"
PUT_BACK = (
    "To put the stack's version back: `pulumi up --refresh --stack prod` (without `--refresh`, "
    "`up` compares with the recorded state and sees nothing to do). To keep the change instead, "
    "edit `stacks/Pulumi.prod.yaml` to match and open a pull request.\n"
)


def test_the_whole_report_reads_heading_explanation_sections_and_what_to_do():
    """The report as a reader sees it in the issue: each block (heading, paragraph, table)
    set apart by a blank line, as Markdown needs; a table's header row followed by its
    delimiter row; the fix docs/drift.md gives (put the stack back with `up --refresh`, or
    copy the change into the stack file and open a pull request)."""
    assignment_urn = urn_of(ASSIGNMENT, "asana-user-x")
    document = {
        "steps": [
            sp_step({"notes": "a"}, {"notes": "b"}, detailedDiff={"notes": {"kind": "update"}}),
            {
                "op": "delete",
                "urn": assignment_urn,
                "oldState": state_of(ASSIGNMENT, assignment_urn, outputs={"appRoleId": "r1"}),
            },
        ],
        "changeSummary": {"same": 10, "update": 2, "delete": 1},
    }

    report = drift_report.build_report("prod", json.dumps(document), 7)

    assert report.markdown == (
        "## Drift in stack `prod`: 2 resource(s) changed outside Pulumi\n"
        "\n"
        "1 change(s) the CLI reported could not be named (Pulumi exited 7 and counted 3), but "
        "its --json document does not say (and no event log was read: --events names the "
        "changes of dynamic resources) which resources they are. See them with "
        "`pulumi refresh --preview-only --diff --stack prod`.\n"
        "\n"
        "### Enterprise application: Properties and single sign-on "
        "(`asana-service-principal`, update)\n"
        "\n"
        "| property | recorded in state | live in Entra/Asana |\n"
        "|---|---|---|\n"
        "| `notes` | `a` | `b` |\n"
        "\n"
        "### Users and groups (`asana-user-x`, delete)\n"
        "\n"
        "| property | recorded in state | live in Entra/Asana |\n"
        "|---|---|---|\n"
        "| `appRoleId` | `r1` | (none) |\n"
        "\n" + PUT_BACK
    )
    assert report.title == (
        "Drift in prod: Enterprise application: Properties and single sign-on; "
        "Users and groups; 1 unnamed change(s)"
    )


def test_the_whole_report_of_a_resource_gone_and_changes_only_the_events_count():
    lines = refreshed(
        ASSIGNMENT,
        "asana-user-x",
        "delete",
        old={"outputs": {"appRoleId": "r1"}},
        new=None,
    )

    report = from_events(*lines, summary_line(same=9, delete=2), document=None)

    assert report.markdown == (
        "## Drift in stack `demo`: 1 resource(s) changed outside Pulumi\n"
        "\n"
        "1 change(s) the CLI reported could not be named (Pulumi exited 7 and counted 2), but "
        "the engine's events do not say which resources they are. See them with "
        "`pulumi refresh --preview-only --diff --stack demo`.\n"
        "\n"
        "### Users and groups (`asana-user-x`, delete)\n"
        "\n"
        "The resource is gone or was replaced.\n"
        "\n" + PUT_BACK.replace("prod", "demo")
    )


def test_the_document_names_what_the_event_log_does_not():
    """The event log's view of a resource wins; a resource only the --json document names is
    reported all the same."""
    document = {
        "steps": [
            sp_step({"notes": "a"}, {"notes": "b"}, detailedDiff={"notes": {"kind": "update"}})
        ]
    }
    lines = refreshed(
        JOB,
        "asana-provisioning-job",
        "update",
        old={"outputs": {"enabled": True}},
        new={"outputs": {"enabled": False}},
        detailed_diff={"enabled": "update"},
    )

    report = from_events(*lines, document=json.dumps(document))

    assert "(`asana-provisioning-job`, update)" in report.markdown
    assert "(`asana-service-principal`, update)" in report.markdown
    assert "## Drift in stack `demo`: 2 resource(s) changed outside Pulumi" in report.markdown


_SIG_KEY, _SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def test_a_property_under_a_secret_object_is_masked():
    """Pulumi marks a secret with its signature key (`4dabf18193072939515e22adb298388d`); what
    lies under it is secret too."""
    envelope = {_SIG_KEY: _SIG, "ciphertext": LEAKED}
    step = sp_step(
        {"connection": envelope},
        {"connection": {"password": "plain"}},
        detailedDiff={"connection.password": {"kind": "update"}},
    )

    assert one_step(step).changes == (
        drift_report.Change("connection.password", "[secret]", "plain"),
    )


def test_every_option_says_in_the_help_what_it_is_for():
    parser = drift_report.build_parser()

    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
    description = parser.format_help().split("options:", 1)[0]
    assert "EngineEvent" in description  # docs/drift.md: the event log is read by the API's type


def option_help(option: str) -> str:
    (action,) = [a for a in drift_report.build_parser()._actions if option in a.option_strings]
    return action.help


# What docs/drift.md says each option is, in its words (backticks and line breaks aside).
DOCUMENTED_AS = {
    "--stack": ["stack"],
    "--input": ["--json"],
    "--pulumi-exit-code": ["--expect-no-changes", "failure"],
    "--events": ["event log of the same run", "--event-log", "dynamic", "--json document"],
    "--markdown": ["report"],
    "--title": ["one-line", "issue"],
}


@pytest.mark.parametrize("option", sorted(DOCUMENTED_AS), ids=sorted(DOCUMENTED_AS))
def test_the_help_describes_each_option_as_docs_drift_md_does(option: str):
    doc = " ".join(DRIFT_DOC.read_text().replace("`", "").split())
    help_text = option_help(option).replace("`", "")

    for words in DOCUMENTED_AS[option]:
        assert words in doc, f"docs/drift.md no longer says {words!r}"
        assert words in help_text, f"the help of {option} does not say {words!r}"


def test_the_help_of_kind_names_the_pulumi_command_of_each_kind():
    """`--kind refresh` reads `pulumi refresh --preview-only` (what docs/drift.md runs), `--kind
    preview` a `pulumi preview`: each choice is the Pulumi command's name."""
    (kind,) = [a for a in drift_report.build_parser()._actions if "--kind" in a.option_strings]

    assert "pulumi refresh --preview-only" in " ".join(DRIFT_DOC.read_text().split())
    assert "pulumi refresh --preview-only" in kind.help
    for choice in kind.choices:
        assert f"`pulumi {choice}" in kind.help


def test_a_resource_refreshed_then_replaced_is_reported_with_what_the_refresh_found():
    """In one document, the refresh step holds the drift (recorded against live); the replace
    after it is what `up` would do about it."""
    urn = urn_of(ASSIGNMENT, "asana-user-x")
    recorded = state_of(ASSIGNMENT, urn, outputs={"appRoleId": "r1"})
    live = state_of(ASSIGNMENT, urn, outputs={"appRoleId": "r2"})
    steps = [
        {"op": "refresh", "urn": urn, "oldState": recorded, "newState": live},
        {"op": "replace", "urn": urn, "oldState": live, "newState": recorded},
    ]

    (drifted,) = drift_report.drifted_resources({"steps": steps})

    assert drifted.operation == "refresh"
    assert drifted.changes == (drift_report.Change("appRoleId", "r1", "r2"),)


def test_drift_a_refresh_found_is_reported_not_the_update_that_would_undo_it():
    """`pulumi preview --refresh --json`: once the refresh's outputs event shows drift, the CLI
    puts that `update` (recorded against live) in place of the refresh step, and the program's
    own `update` of the same resource (live back to the program's) follows it
    (ShowPreviewDigest, pulumi pkg/backend/display/json.go): two steps of one rank."""
    urn = urn_of(SERVICE_PRINCIPAL, "asana-service-principal")
    recorded = state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "ours"})
    live = state_of(SERVICE_PRINCIPAL, urn, outputs={"notes": "edited in the portal"})
    diff = {"notes": {"kind": "update", "inputDiff": False}}
    steps = [
        {"op": "update", "urn": urn, "oldState": recorded, "newState": live, "detailedDiff": diff},
        {"op": "update", "urn": urn, "oldState": live, "newState": recorded, "detailedDiff": diff},
    ]

    (drifted,) = drift_report.drifted_resources({"steps": steps}, "preview")

    assert drifted.changes == (drift_report.Change("notes", "ours", "edited in the portal"),)


# The command run by importing the module (as scripts.drift_check does), from the project root.
IMPORTED_MAIN = "import sys; from scripts import drift_report; sys.exit(drift_report.main())"


def test_the_report_files_are_utf8_whatever_the_locale(tmp_path: Path):
    """A runner whose locale is plain ASCII (POSIX, no UTF-8 mode) still gets the report and
    its title, which hold non-ASCII characters (a value; the ellipsis of a cut title), written
    as UTF-8."""
    steps = []
    for short in drift_report.PORTAL_NAMES:  # every kind of resource drifted: a long title
        resource_type = f"azuread:index/{short[0].lower()}{short[1:]}:{short}"
        urn = urn_of(resource_type, short.lower())
        steps.append(
            {
                "op": "update",
                "urn": urn,
                "oldState": state_of(resource_type, urn, outputs={"notes": "Zoë"}),
                "newState": state_of(resource_type, urn, outputs={"notes": "Zoé"}),
                "detailedDiff": {"notes": {"kind": "update"}},
            }
        )
    document = tmp_path / "refresh.json"
    document.write_text(json.dumps({"steps": steps}))
    report, title = tmp_path / "report.md", tmp_path / "title.txt"
    environment = {
        **os.environ,
        "LC_ALL": "POSIX",
        "LANG": "POSIX",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
    }

    finished = subprocess.run(
        [sys.executable, "-c", IMPORTED_MAIN, "--stack", "prod", "--input",
         str(document), "--pulumi-exit-code", "7", "--markdown", str(report),
         "--title", str(title)],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
        cwd=Path(drift_report.__file__).resolve().parent.parent,
    )  # fmt: skip

    assert finished.returncode == drift_report.DRIFT, finished.stderr
    assert "| `notes` | `Zoë` | `Zoé` |" in report.read_bytes().decode("utf-8")
    title_text = title.read_bytes().decode("utf-8")
    assert title_text.startswith("Drift in prod: Enterprise application; ")
    assert title_text.endswith("…\n")


def test_a_resource_whose_type_was_renamed_is_named_by_its_new_type():
    """A type renamed in the program with an alias: the step's old state still has the old
    type, the URN and the new state the new one; the portal calls it by what it is now."""
    new_type = "asana-provisioning:index:ServiceAccountToken"
    urn = urn_of(new_type, "asana-token")
    step = {
        "op": "update",
        "urn": urn,
        "oldState": state_of("asana-provisioning:index:AsanaToken", urn, outputs={"n": 1}),
        "newState": state_of(new_type, urn, outputs={"n": 2}),
    }

    assert one_step(step, kind="preview").portal_name == (
        "Provisioning: Secret token (Test connection)"
    )


def test_docs_drift_md_shows_the_report_help_as_the_command_prints_it(monkeypatch, capsys):
    """docs/drift.md prints the command's whole `--help` for a reader who has no checkout at
    hand; every option's wording there is what the command says (at 100 columns, the width the
    docs block was printed at)."""
    doc = DRIFT_DOC.read_text()
    block = doc.split("<!-- drift-report-help:begin -->\n```text\n", 1)[1]
    documented = block.split("```\n<!-- drift-report-help:end -->", 1)[0]
    monkeypatch.setenv("COLUMNS", "100")

    with pytest.raises(SystemExit) as ended:
        drift_report.main(["--help"])

    assert ended.value.code == 0
    assert capsys.readouterr().out == documented
