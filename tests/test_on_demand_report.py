"""Provision on demand, the pure half: the rule, the request body, the reply read back as the
portal shows it, and the client-side rate limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.asana_schema import asana_template_schema
from tests.graph_models import assert_graph_body
from tools.on_demand_report import (
    CALL_FAILED,
    NOT_PROVISIONED,
    PROVISIONED,
    OnDemandError,
    OnDemandFailure,
    Rule,
    Subject,
    choose_rule,
    hidden,
    parse_reply,
    render_markdown,
    render_text,
    render_title,
    request_body,
    worst,
)
from tools.provision_on_demand import RateLimiter

ADA = Subject("9bb0f679-a883-4a6f-8260-35b491b8b8c8", "User", "ada@contoso.com")
RULE = Rule("975f4f51-3196-4c7c-92a0-6a3ee44bfd35", "USERGROUP_OUTBOUND_USERGROUP")
# The reply of Microsoft's v1.0 example (synchronization-synchronizationjob-provisionondemand),
# trimmed: the user was already in sync.
DOCUMENTED_REPLY = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph."
    "stringKeyStringValuePair",
    "key": json.dumps(
        {
            "result": "Skipped",
            "details": {
                "errorCode": "RedundantExport",
                "errorMessage": "The state of the user in both the source and target systems "
                "already match.",
            },
        }
    ),
    "value": json.dumps(
        {
            "action": "Other",
            "provisioningSteps": [
                {"name": "EntryImport", "type": "Import", "status": "Success",
                 "description": "Retrieved User 'BillBob@contoso.com' from Azure Active Directory",
                 "timestamp": "2020-06-26T13:58:24.5494971Z",
                 "details": {"objectId": "52cf7b7a-52be-4a9b-9c69-e4d4a4a14f76",
                             "accountEnabled": "True"}},
                {"name": "EntryImport", "type": "Matching", "status": "Success",
                 "description": "Retrieved  'BillBob@contoso.com' from customappsso",
                 "timestamp": "2020-06-26T13:58:24.7214072Z", "details": {"active": "True"}},
                {"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
                 "description": "Determine if User in scope by evaluating against each scoping "
                 "filter", "timestamp": "2020-06-26T13:58:24.7526181Z",
                 "details": {"IsActive": "True", "Assigned": "True"}},
                {"name": "EntrySynchronizationSkip", "type": "Export", "status": "Skipped",
                 "description": "The state of the user in both the source and target systems "
                 "already match. No change to the User 'BillBob@contoso.com' currently needs "
                 "to be made.", "timestamp": "2020-06-26T13:58:24.7682084Z",
                 "details": {"SkipReason": "RedundantExport"}},
            ],
            "statusInfo": {"status": "Skipped", "errorCode": None, "reason": None},
        }
    ),
}  # fmt: skip


def reply(result: str, steps: list[tuple[str, str, str]], **details: str) -> dict[str, Any]:
    """A reply in the documented shape: (type, status, description) per step."""
    return {
        "key": json.dumps({"result": result, "details": details}),
        "value": json.dumps(
            {
                "action": "Create" if result == "Success" else "Other",
                "provisioningSteps": [
                    {"name": f"Entry{kind}", "type": kind, "status": status,
                     "description": text, "timestamp": "2025-03-04T11:20:05Z", "details": {}}
                    for kind, status, text in steps
                ],
                "statusInfo": {"status": result, "errorCode": details.get("errorCode"),
                               "reason": details.get("errorMessage")},
            }
        ),
    }  # fmt: skip


def test_the_documented_reply_reads_as_already_in_sync_with_the_portals_steps():
    result = parse_reply(DOCUMENTED_REPLY, ADA, RULE)

    assert result.outcome == "already in sync"
    assert result.status == PROVISIONED
    assert [step.title for step in result.steps] == [
        "Import user",
        "Match user between source and target system",
        "Determine if user is in scope",
        "Perform action",
    ]
    text = render_text(result)
    assert "  4. Perform action: Skipped" in text
    assert "SkipReason: RedundantExport" in text
    assert text.rstrip().endswith(
        "Result: already in sync: RedundantExport: The state of the user in both the source "
        "and target systems already match."
    )


def test_a_user_in_scope_is_provisioned():
    result = parse_reply(
        reply("Success", [("Import", "Success", "Retrieved"), ("Scoping", "Success", "In scope"),
                          ("Matching", "Success", "No match"), ("Export", "Success", "Created")]),
        ADA,
        RULE,
    )  # fmt: skip

    assert (result.outcome, result.status) == ("provisioned", PROVISIONED)
    assert "Result: provisioned (action Create)" in render_text(result)


OUT_OF_SCOPE = [
    (  # the portal's way: scoping passes as a step, the export is skipped as not entitled
        [("Import", "Success", "Retrieved"), ("Scoping", "Success", "Assigned: False"),
         ("Export", "Skipped", "Will be skipped")],
        "NotEffectivelyEntitled",
    ),
    ([("Import", "Success", "Retrieved"), ("Scoping", "Skipped", "Not in scope")], "Other"),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "code"), OUT_OF_SCOPE, ids=["not entitled", "scoping skipped"])
def test_a_user_out_of_scope_is_not_provisioned(steps, code):
    result = parse_reply(
        reply("Skipped", steps, errorCode=code, errorMessage="The user is not assigned."),
        ADA,
        RULE,
    )

    assert (result.outcome, result.status) == ("out of scope", NOT_PROVISIONED)
    assert code in render_text(result)


def test_a_user_failing_at_export_names_the_step_and_the_error():
    result = parse_reply(
        reply(
            "Failure",
            [("Import", "Success", "Retrieved"), ("Scoping", "Success", "In scope"),
             ("Matching", "Success", "No match"), ("Export", "Failure", "Failed to create")],
            errorCode="AsanaDuplicateUser",
            errorMessage="A user with this email already exists.",
        ),
        ADA,
        RULE,
    )  # fmt: skip

    assert result.status == NOT_PROVISIONED
    last_line = render_text(result).rstrip().splitlines()[-1]
    assert last_line == (
        "Result: failed at Perform action: AsanaDuplicateUser: A user with this email already "
        "exists."
    )
    assert "| 4 | Perform action | Failure | Failed to create |" in render_markdown(result)


@pytest.mark.parametrize(
    "broken",
    [
        None,
        {"key": "not json", "value": "{}"},
        {"key": "{}", "value": "[1, 2]"},
        {"value": "{}"},
    ],
)
def test_a_reply_that_is_not_the_documented_pair_is_refused(broken):
    with pytest.raises(OnDemandError):
        parse_reply(broken, ADA, RULE)


def test_the_rule_is_the_one_whose_mapping_takes_the_subjects_kind():
    schema = asana_template_schema()

    assert choose_rule(schema, "User") == RULE
    assert choose_rule(schema, "Group") == RULE


def test_a_switched_off_mapping_is_named_instead_of_provisioning_nothing():
    schema = asana_template_schema()
    for rule in schema["synchronizationRules"]:
        for mapping in rule["objectMappings"]:
            if mapping["sourceObjectName"] == "Group":
                mapping["enabled"] = False

    with pytest.raises(OnDemandError, match="Synchronize Microsoft Entra ID Groups to Asana"):
        choose_rule(schema, "Group")


def test_the_request_body_is_graphs_documented_body():
    body = request_body(RULE, ADA)

    assert_graph_body("synchronizationJob.provisionOnDemand", body)
    assert body == {
        "parameters": [
            {
                "subjects": [{"objectId": ADA.object_id, "objectTypeName": "User"}],
                "ruleId": RULE.rule_id,
            }
        ]
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_limiter_lets_five_calls_through_in_ten_seconds_and_holds_the_sixth():
    clock = FakeClock()
    limiter = RateLimiter(5, 10.0, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        limiter.run(lambda: None)
        clock.now += 1.0
    limiter.run(lambda: None)

    assert limiter.waited == [pytest.approx(5.0)]  # the first ended at 100, the sixth began at 105
    assert clock.now == pytest.approx(110.0)


def test_the_limiter_counts_a_call_from_when_it_ended():
    clock = FakeClock()
    limiter = RateLimiter(1, 10.0, clock=clock, sleep=clock.sleep)

    def slow() -> str:
        clock.now += 3.0  # the service saw it arrive at 100, it ended at 103
        return "answer"

    assert limiter.run(slow) == "answer"
    limiter.run(lambda: None)

    assert limiter.waited == [pytest.approx(10.0)]


def test_the_limiter_does_not_wait_once_the_window_has_passed():
    clock = FakeClock()
    limiter = RateLimiter(5, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.run(lambda: None)

    clock.now += 10.0
    limiter.run(lambda: None)

    assert limiter.waited == [] and clock.slept == []


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [([0, 0], PROVISIONED), ([0, 2], NOT_PROVISIONED), ([2, 1, 0], CALL_FAILED),
     ([1, 2], CALL_FAILED)],
)  # fmt: skip
def test_several_subjects_exit_with_the_worst_a_failed_call_first(statuses, expected):
    assert worst(statuses) == expected


def test_a_subject_whose_call_failed_is_reported_beside_the_others():
    failure = OnDemandFailure("nobody@contoso.com", "no user has the user principal name")

    assert failure.status == CALL_FAILED
    assert render_text(failure) == (
        "Provision on demand: nobody@contoso.com\n"
        "Result: call failed: no user has the user principal name\n"
    )
    assert "call failed" in render_markdown(failure)
    assert render_title("dev", [failure]) == (
        "Provision on demand in dev: nobody@contoso.com: call failed"
    )


def test_a_secret_is_hidden_in_any_casing_and_url_quoted():
    text = "GET /v1.0/users/o%27neil%2Bx@contoso.com failed; O'Neil+X@Contoso.com unknown"

    assert hidden(text, "o'neil+x@contoso.com", "[secret]") == (
        "GET /v1.0/users/[secret] failed; [secret] unknown"
    )
