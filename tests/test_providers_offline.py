"""providers/ logic without a process or a tenant: what the design documents promise, checked
with expected values written from it, not computed by the code under test."""

from __future__ import annotations

import base64
import hashlib

import dill
import pulumi
import pytest
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from clients.asana import TokenCheck
from providers import inputs
from providers.asana_token import (
    AsanaServiceAccountToken,
    AsanaServiceAccountTokenProvider,
    fingerprint,
    rejection_advice,
)
from providers.attribute_mappings import (
    ProvisioningAttributeMappings,
    ProvisioningAttributeMappingsProvider,
)
from providers.instantiated_app import (
    InstantiatedAppDuplicates,
    InstantiatedAppDuplicatesProvider,
)
from providers.provisioning_template import (
    ProvisioningTemplate,
    ProvisioningTemplateProvider,
    TemplateLookupError,
    choose_template,
)
from providers.saml_signing import SamlSigningCertificates, SamlSigningCertificatesProvider
from providers.unmanaged_owners import UnmanagedOwners, UnmanagedOwnersProvider
from rules.urls import ALLOWED as URL_ALLOWED
from rules.urls import GRAPH_ROOT, ORIGIN
from tests.program import is_secret_value, run_program


def test_the_token_fingerprint_is_twelve_hex_digits_of_its_sha256():
    """docs/design.md: "The fingerprint (12 hex digits of SHA-256) identifies a rotation
    without revealing the token"."""
    token = "2/1204123412341234/5506550655065506:0123456789abcdef"

    assert fingerprint(token) == "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:12]
    assert fingerprint(token) != fingerprint(token + "x")


# --- providers/inputs.py: the offline checks every provider's `check` shares. The messages are
# what `pulumi preview` shows the user, so each is written out whole.


def failure(found) -> tuple[str, str] | None:
    return None if found is None else (found.property, found.reason)


@pytest.mark.parametrize("value", [Unknown(), UNKNOWN])
def test_a_value_not_known_yet_is_never_refused(value):
    assert inputs.is_unknown(value)
    assert inputs.failure_for_https_url("scim_base_url", value) is None
    assert inputs.failure_for_guid("service_principal_id", value, "x") is None
    assert inputs.failure_for_name("factory_tag", value, "x") is None
    assert inputs.failure_for_job_id("job_id", value) is None


def test_unknowns_are_found_nested_in_lists_dicts_and_tuples():
    assert inputs.contains_unknown({"a": [1, ("b", {"c": UNKNOWN})]})
    assert not inputs.contains_unknown({"a": [1, ("b", {"c": "known"})]})
    assert not inputs.is_unknown("known")


def test_the_search_for_unknowns_is_bounded_and_past_the_bound_the_input_is_checked():
    """Like every loop here, the search is bounded in count: it looks at `_MAX_WALK` values at
    most, the outer value included. Past that the input counts as known, so check still runs:
    at `up` every value is known anyway, and no input escapes its check by being large."""
    limit = inputs._MAX_WALK
    # a list's items are looked at from its end: its first item is value number len(list) + 1
    assert inputs.contains_unknown([UNKNOWN, *[0] * (limit - 2)])  # value number `limit`
    assert not inputs.contains_unknown([UNKNOWN, *[0] * (limit - 1)])  # number `limit + 1`


def test_a_service_principal_id_must_be_a_guid():
    assert inputs.failure_for_service_principal("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a") is None
    assert failure(inputs.failure_for_service_principal("sp-1")) == (
        "service_principal_id",
        "must be the object id of the Asana service principal "
        "(a GUID such as 00000000-0000-0000-0000-000000000000)",
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("asana", None),
        ("a" * 256, None),
        ("", "must be a factory tag: a non-empty string of at most 256 characters"),
        ("a" * 257, "must be a factory tag: a non-empty string of at most 256 characters"),
        (42, "must be a factory tag: a non-empty string of at most 256 characters"),
        (
            "asana tag",
            "must be a factory tag of visible ASCII characters (no spaces, controls or '…')",
        ),
    ],
    ids=["tag", "256", "empty", "257", "number", "space"],
)
def test_a_name_is_one_visible_ascii_token_of_at_most_256(value, reason):
    found = failure(inputs.failure_for_name("factory_tag", value, "a factory tag"))

    assert found == (None if reason is None else ("factory_tag", reason))


def test_a_job_id_or_the_azuread_job_resource_id_is_accepted():
    job = "asana.0a1b2c3d4e5f40718293a4b5c6d7e8f9.6f5e4d3c-2b1a-4098-8765-43210fedcba9"
    assert inputs.failure_for_job_id("job_id", job) is None
    assert failure(inputs.failure_for_job_id("job_id", "a job")) == (
        "job_id",
        "must be a synchronization job id (letters, digits, '.', '-', '_') or "
        "/servicePrincipals/{id}/synchronization/jobs/{jobId}",
    )


def test_an_https_url_is_judged_by_the_same_rule_as_the_settings():
    assert inputs.failure_for_https_url("u", "https://app.asana.com/api/1.0/scim") is None
    found = failure(inputs.failure_for_https_url("u", "http://app.asana.com/api/1.0/scim"))
    assert found is not None and found[0] == "u"
    assert found[1].startswith(f"must be {URL_ALLOWED}; this one ")


def test_an_https_url_is_held_to_the_rule_its_caller_names():
    """rules/urls.py: an origin (azure-identity's authority host) is scheme and host only, and
    Graph's root carries no API version; the same URLs pass as service base URLs."""
    authority = "https://login.microsoftonline.com/common"
    graph = "https://graph.microsoft.com/v1.0"

    assert inputs.failure_for_https_url("u", authority) is None
    assert inputs.failure_for_https_url("u", graph) is None
    assert failure(inputs.failure_for_https_url("u", authority, ORIGIN)) is not None
    assert failure(inputs.failure_for_https_url("u", graph, GRAPH_ROOT)) is not None


def test_failures_keeps_the_failures_in_order_and_drops_the_passes():
    first, second = CheckFailure("a", "x"), CheckFailure("b", "y")

    assert inputs.failures(None, first, None, second) == [first, second]


# --- the dynamic resources as a program declares them: the properties each registers are
# what state keeps and what the provider reads back, so their names are the state format
# (docs/design.md's resource table; tests/fixtures' recorded state uses the same names).

SP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
APP = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
JOB = "asana.0a1b2c3d4e5f40718293a4b5c6d7e8f9.6f5e4d3c-2b1a-4098-8765-43210fedcba9"
THUMBPRINT = "A1B2C3D4E5F60718293A4B5C6D7E8F9001122334"


DECLARED: list[pulumi.Resource] = []


def declare_every_resource(opts: pulumi.ResourceOptions | None = None) -> None:
    DECLARED.clear()
    DECLARED.append(
        AsanaServiceAccountToken(
            "token", token="2/1/2:abc", scim_base_url="https://x.example/scim", opts=opts
        )
    )
    DECLARED.append(
        ProvisioningTemplate("template", service_principal_id=SP, factory_tag="asana", opts=opts)
    )
    DECLARED.append(
        UnmanagedOwners("owners", application_object_id=APP, service_principal_id=SP, opts=opts)
    )
    DECLARED.append(
        InstantiatedAppDuplicates(
            "duplicates",
            application_object_id=APP,
            template_id="t-1",
            display_name="Asana",
            opts=opts,
        )
    )
    DECLARED.append(
        SamlSigningCertificates(
            "signing",
            service_principal_id=SP,
            certificates=[{"display_name": "CN=Asana SSO", "thumbprint": THUMBPRINT}],
            active_thumbprint=THUMBPRINT,
            opts=opts,
        )
    )
    DECLARED.append(ProvisioningAttributeMappings(
        "users",
        service_principal_id=SP,
        job_id=JOB,
        kind="user",
        spec={"sourceObject": "User", "targetObject": "User", "mode": "merge",
              "enabled": True, "actions": ["create"], "mappings": [], "scopingFilter": []},
        restart_on_change=True,
        opts=opts,
    ))  # fmt: skip


def declare_every_resource_in_a_component() -> None:
    """The same resources, each given options (a parent) the way a component gives them."""
    holder = pulumi.ComponentResource("asana:test:Holder", "holder")
    declare_every_resource(pulumi.ResourceOptions(parent=holder))


def declared() -> dict[str, dict]:
    run = run_program({}, set(), main=declare_every_resource)
    assert run.error is None, run.error
    return {
        r.type.rsplit(":", 1)[1]: {k: v for k, v in r.inputs.items() if k != "__provider"}
        for r in run.resources
        if r.type.startswith("pulumi-python:dynamic/asana:")
    }


def test_each_dynamic_resource_registers_its_properties_under_their_state_names():
    inputs = declared()

    assert set(inputs) == {
        "ServiceAccountToken",
        "ProvisioningTemplate",
        "UnmanagedOwners",
        "InstantiatedAppDuplicates",
        "SamlSigningCertificates",
        "ProvisioningAttributeMappings",
    }
    token = inputs["ServiceAccountToken"]
    assert is_secret_value(token["token"]) and token["token"]["value"] == "2/1/2:abc"
    assert {k: v for k, v in token.items() if k != "token"} == {
        "scim_base_url": "https://x.example/scim"
    }
    assert inputs["ProvisioningTemplate"] == {"service_principal_id": SP, "factory_tag": "asana"}
    assert inputs["UnmanagedOwners"] == {"application_object_id": APP, "service_principal_id": SP}
    assert inputs["InstantiatedAppDuplicates"] == {
        "application_object_id": APP,
        "template_id": "t-1",
        "display_name": "Asana",
    }
    assert inputs["SamlSigningCertificates"] == {
        "service_principal_id": SP,
        "certificates": [{"display_name": "CN=Asana SSO", "thumbprint": THUMBPRINT}],
        "active_thumbprint": THUMBPRINT,
    }
    assert inputs["ProvisioningAttributeMappings"] == {
        "service_principal_id": SP,
        "job_id": JOB,
        "kind": "user",
        "restart_on_change": True,
        "source_object": "User",
        "target_object": "User",
        "mode": "merge",
        "enabled": True,
        "actions": ["create"],
        "mappings": [],
        "scoping_filter": [],
    }


PROVIDERS = {
    "ServiceAccountToken": AsanaServiceAccountTokenProvider,
    "ProvisioningTemplate": ProvisioningTemplateProvider,
    "UnmanagedOwners": UnmanagedOwnersProvider,
    "InstantiatedAppDuplicates": InstantiatedAppDuplicatesProvider,
    "SamlSigningCertificates": SamlSigningCertificatesProvider,
    "ProvisioningAttributeMappings": ProvisioningAttributeMappingsProvider,
}


def test_each_dynamic_resource_carries_its_own_provider_for_the_engine_to_run():
    """Pulumi's dynamic providers (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/):
    the engine runs a dynamic resource's create/read/update with the provider object the program
    serialized (dill, base64) into the reserved `__provider` input; a missing or wrong one
    leaves the engine nothing, or the wrong code, to run."""
    run = run_program({}, set(), main=declare_every_resource)
    assert run.error is None, run.error
    carried = {}
    for resource in run.resources:
        if resource.type.startswith("pulumi-python:dynamic/asana:"):
            serialized = resource.inputs["__provider"]
            assert is_secret_value(serialized)  # the SDK keeps it secret: it may capture config
            carried[resource.type.rsplit(":", 1)[1]] = dill.loads(
                base64.b64decode(serialized["value"])
            )

    assert set(carried) == set(PROVIDERS)
    for name, provider in carried.items():
        assert type(provider) is PROVIDERS[name], name
        # providers/base.py: what goes into state carries an empty configuration, never the
        # settings (credentials among them) it is given in the provider process
        assert provider._config == {}, name


def test_the_options_a_resource_is_given_apply_to_it_and_the_token_stays_secret():
    """A component passes `opts` (its parent) to each resource; Pulumi registers the resource
    with them (the parent is part of its URN and of `pulumi stack` trees). The token's own
    option, `additional_secret_outputs=["token"]`, must survive the merge with the caller's:
    it is what keeps the `token` output encrypted in state."""
    alone = run_program({}, set(), main=declare_every_resource)
    held = run_program({}, set(), main=declare_every_resource_in_a_component)
    assert alone.error is None and held.error is None, (alone.error, held.error)

    holder = held.one("asana:test:Holder").urn
    dynamic = [r for r in held.resources if r.type.startswith("pulumi-python:dynamic/asana:")]
    assert {r.type.rsplit(":", 1)[1] for r in dynamic} == set(PROVIDERS)
    for resource in dynamic:
        assert resource.parent == holder, resource.type
        assert "::asana:test:Holder$pulumi-python:dynamic/asana:" in resource.urn, resource.urn
    for run in (alone, held):
        token = run.one("pulumi-python:dynamic/asana:ServiceAccountToken")
        assert token.secret_outputs == ("token",)
        others = [r for r in run.resources if r.type.startswith("pulumi-python:dynamic/asana:")]
        assert all(r.secret_outputs == () for r in others if r is not token)


def test_mappings_restart_the_job_only_when_asked():
    """docs/configuration.md: `restartOnMappingChange` defaults to `false`; a mappings resource
    declared without `restart_on_change` registers it off."""

    def declare() -> None:
        ProvisioningAttributeMappings(
            "groups",
            service_principal_id=SP,
            job_id=JOB,
            kind="group",
            spec={"sourceObject": "Group", "targetObject": "Group", "mode": "merge",
                  "enabled": True, "actions": ["create"], "mappings": [], "scopingFilter": []},
        )  # fmt: skip

    run = run_program({}, set(), main=declare)
    assert run.error is None, run.error
    mappings = run.one("pulumi-python:dynamic/asana:ProvisioningAttributeMappings")
    assert mappings.inputs["restart_on_change"] is False


# --- check and diff of the two providers that only record or tidy: offline, no request.

GUID_RULE = "(a GUID such as 00000000-0000-0000-0000-000000000000)"


def reasons(result) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in result.failures]


def test_the_owners_record_is_checked_for_two_object_ids():
    provider = UnmanagedOwnersProvider()

    assert (
        reasons(provider.check({}, {"application_object_id": APP, "service_principal_id": SP}))
        == []
    )
    assert reasons(
        provider.check({}, {"application_object_id": "a", "service_principal_id": "b"})
    ) == [
        ("application_object_id", f"must be the application's id {GUID_RULE}"),
        ("service_principal_id", f"must be the service principal's id {GUID_RULE}"),
    ]


def test_the_owners_record_is_replaced_for_another_app_and_updated_when_owners_moved():
    provider = UnmanagedOwnersProvider()
    owners = {"application_owners": ["u1"], "service_principal_owners": ["u2"]}
    olds = {"application_object_id": APP, "service_principal_id": SP, **owners,
            "owners_at_last_up": owners}  # fmt: skip
    same = {"application_object_id": APP, "service_principal_id": SP}

    unchanged = provider.diff(SP, olds, same)
    assert (unchanged.changes, unchanged.replaces) == (False, [])
    other_app = provider.diff(SP, olds, {**same, "application_object_id": "x"})
    assert (other_app.changes, other_app.replaces) == (True, ["application_object_id"])
    unknown = provider.diff(SP, olds, {**same, "service_principal_id": UNKNOWN})
    assert unknown.replaces == ["service_principal_id"]
    moved = provider.diff(SP, {**olds, "service_principal_owners": ["u3"]}, same)
    assert (moved.changes, moved.replaces) == (True, [])


def test_the_duplicates_tidy_up_is_checked_for_two_ids_and_changes_with_its_inputs():
    provider = InstantiatedAppDuplicatesProvider()
    news = {"application_object_id": APP, "template_id": SP, "display_name": "Asana"}

    assert reasons(provider.check({}, news)) == []
    assert reasons(
        provider.check({}, {**news, "application_object_id": "a", "template_id": "t"})
    ) == [
        ("application_object_id", f"must be the application's id {GUID_RULE}"),
        ("template_id", f"must be the gallery template id {GUID_RULE}"),
    ]
    assert provider.diff(APP, news, dict(news)).changes is False
    assert provider.diff(APP, news, {**news, "display_name": "Asana (dev)"}).changes is True
    assert provider.diff(APP, news, {**news, "template_id": UNKNOWN}).changes is True


# --- the token resource: what Asana's refusal becomes, and when a change is planned.


ASANA_SCIM = "https://app.asana.com/api/1.0/scim"  # docs/configuration.md: scimTenantUrl's default


@pytest.mark.parametrize("url", [None, ""], ids=["not-given", "empty"])
def test_a_token_without_a_base_url_is_checked_at_asanas_scim_url(url):
    """docs/configuration.md: `scimTenantUrl` defaults to Asana's SCIM base URL; an empty one
    is the default too, not a URL refused for being empty."""
    result = AsanaServiceAccountTokenProvider().check(
        {}, {"token": "2/1204123412341234/5506550655065506:0123456789abcdef", "scim_base_url": url}
    )

    assert reasons(result) == []
    assert result.inputs["scim_base_url"] == ASANA_SCIM


@pytest.mark.parametrize("token", [Unknown(), UNKNOWN], ids=["unknown", "unknown-sentinel"])
def test_a_token_not_known_yet_passes_check_at_a_first_preview(token):
    """A token that comes from another resource is unknown at a first preview; check judges it
    once it is known (at `up`), so it refuses nothing now."""
    result = AsanaServiceAccountTokenProvider().check(
        {}, {"token": token, "scim_base_url": ASANA_SCIM}
    )

    assert reasons(result) == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "the token is valid but may not use SCIM"),
        (401, "the token is invalid or revoked, or its service account was deleted"),
    ],
)
def test_asanas_refusal_is_explained_with_the_way_to_a_token_that_works(status, reason):
    advice = rejection_advice(TokenCheck(False, status, "Forbidden"))

    assert advice == (
        f"Asana rejected the service-account token (HTTP {status}: Forbidden); {reason}. "
        "Create a new service account token in Asana's Admin Console (Apps > Service "
        'accounts) with the "User provisioning (SCIM)" scope, then set it with '
        "`pulumi config set --secret asanaToken <token>` and run `pulumi up` again."
    )


def test_the_token_changes_when_its_fingerprint_url_or_acceptance_changes_and_never_replaces():
    provider = AsanaServiceAccountTokenProvider()
    token = "2/1/2:abc"
    olds = {"fingerprint": fingerprint(token), "scim_base_url": "u", "accepted": True}
    news = {"token": token, "scim_base_url": "u"}

    same = provider.diff("id", olds, news)
    assert (same.changes, same.replaces, same.delete_before_replace) == (False, [], False)
    assert provider.diff("id", olds, {**news, "token": token + "x"}).changes is True
    assert provider.diff("id", olds, {**news, "token": UNKNOWN}).changes is True
    assert provider.diff("id", olds, {**news, "token": None}).changes is True
    assert provider.diff("id", olds, {**news, "scim_base_url": "v"}).changes is True
    assert provider.diff("id", {**olds, "accepted": False}, news).changes is True


# The outputs each resource offers the program (its class's annotations, as docs/design.md
# lists the stack outputs built from them).
OUTPUTS = {
    "AsanaServiceAccountToken": {"token", "scim_base_url", "fingerprint", "validated_at",
                                 "accepted"},
    "ProvisioningTemplate": {"service_principal_id", "template_id", "factory_tag"},
    "UnmanagedOwners": {"application_object_id", "service_principal_id", "application_owners",
                        "service_principal_owners", "owners_at_last_up"},
    "InstantiatedAppDuplicates": {"application_object_id", "template_id", "display_name",
                                  "duplicates"},
    "SamlSigningCertificates": {"service_principal_id", "certificates", "active_thumbprint"},
    "ProvisioningAttributeMappings": {"service_principal_id", "job_id", "kind",
                                      "restart_on_change", "source_object", "target_object",
                                      "mode", "enabled", "actions", "mappings", "scoping_filter",
                                      "managed_targets"},
}  # fmt: skip


def test_each_dynamic_resource_offers_its_outputs_to_the_program():
    declared()

    for resource in DECLARED:
        for name in OUTPUTS[type(resource).__name__]:
            assert isinstance(getattr(resource, name, None), pulumi.Output), (
                f"{type(resource).__name__}.{name}"
            )


# --- diff of the template lookup and the signing certificates: offline, as the engine asks
# before any request (docs/design.md: check and diff make no request).


def outcome(diff) -> tuple:
    return (diff.changes, diff.replaces, diff.stables, diff.delete_before_replace)


def test_the_template_lookup_is_replaced_for_another_principal_and_updated_for_a_new_tag():
    provider = ProvisioningTemplateProvider()
    olds = {"service_principal_id": SP, "factory_tag": "asana", "template_id": "asana"}

    assert outcome(provider.diff("x", olds, {"service_principal_id": SP})) == (False, [], [], False)
    assert outcome(
        provider.diff("x", olds, {"service_principal_id": SP, "factory_tag": "ASANA"})
    ) == (False, [], [], False)
    assert outcome(
        provider.diff("x", olds, {"service_principal_id": SP, "factory_tag": "scim"})
    ) == (True, [], [], False)
    assert outcome(
        provider.diff("x", olds, {"service_principal_id": SP, "factory_tag": UNKNOWN})
    ) == (True, [], [], False)
    assert outcome(provider.diff("x", olds, {"service_principal_id": APP})) == (
        True,
        ["service_principal_id"],
        [],
        False,
    )
    assert outcome(provider.diff("x", olds, {"service_principal_id": UNKNOWN})) == (
        True,
        ["service_principal_id"],
        [],
        False,
    )


def test_the_signing_certificates_change_with_the_active_one_or_the_set_and_move_by_replacing():
    provider = SamlSigningCertificatesProvider()
    other = "B" * 40
    olds = {
        "service_principal_id": SP,
        "active_thumbprint": THUMBPRINT,
        "certificates": [{"display_name": "CN=Asana SSO", "thumbprint": THUMBPRINT}],
    }
    same = {
        **olds,
        "active_thumbprint": THUMBPRINT.lower(),
        "certificates": [{"display_name": "CN=Asana SSO", "thumbprint": THUMBPRINT.lower()}],
    }

    assert outcome(provider.diff("x", olds, same)) == (False, [], [], False)
    assert outcome(provider.diff("x", olds, {**olds, "active_thumbprint": other})) == (
        True,
        [],
        [],
        False,
    )
    two = [*olds["certificates"], {"display_name": "CN=Next", "thumbprint": other}]
    assert outcome(provider.diff("x", olds, {**olds, "certificates": two})) == (True, [], [], False)
    pending = [{"display_name": "CN=Next", "thumbprint": UNKNOWN}]
    assert outcome(provider.diff("x", olds, {**olds, "certificates": pending})) == (
        True,
        [],
        [],
        False,
    )
    assert outcome(provider.diff("x", olds, {**olds, "service_principal_id": APP})) == (
        True,
        ["service_principal_id"],
        [],
        False,
    )
    assert outcome(provider.diff("x", olds, {**olds, "service_principal_id": UNKNOWN})) == (
        True,
        ["service_principal_id"],
        [],
        False,
    )


def test_choosing_the_template_names_what_the_principal_has_and_how_to_pick():
    asana = {"id": "asana", "factoryTag": "Asana"}
    scim = {"id": "scim", "factoryTag": "CustomSCIM"}

    assert choose_template(SP, [asana, scim], "ASANA") is asana
    assert choose_template(SP, [asana], None) is asana
    with pytest.raises(TemplateLookupError) as none:
        choose_template(SP, [scim], "asana", "Microsoft Graph GET /v1.0/x")
    assert str(none.value) == (
        f"Microsoft Graph GET /v1.0/x: service principal {SP} has no synchronization template "
        "with factory tag 'asana' (it has: scim (factoryTag CustomSCIM)). Check that the "
        "application was created from the Asana gallery template, which supports provisioning."
    )
    with pytest.raises(TemplateLookupError) as empty:
        choose_template(SP, [], None)
    assert str(empty.value).startswith(
        f"service principal {SP} has no synchronization template (it has: none)."
    )
    with pytest.raises(TemplateLookupError) as several:
        choose_template(SP, [asana, scim], None)
    assert str(several.value) == (
        f"service principal {SP} has 2 synchronization templates: asana (factoryTag Asana), "
        "scim (factoryTag CustomSCIM). Set factory_tag to choose one."
    )


@pytest.mark.parametrize("tag", ["asana", "None", "XXXX"], ids=["asana", "None", "XXXX"])
def test_a_factory_tag_asked_for_where_the_template_had_none_is_a_change(tag):
    """A template without a factoryTag leaves none in state; any tag the stack then asks for,
    whatever its spelling, must be looked up (an update)."""
    provider = ProvisioningTemplateProvider()
    olds = {"service_principal_id": SP, "template_id": "custom"}

    diff = provider.diff("x", olds, {"service_principal_id": SP, "factory_tag": tag})

    assert (diff.changes, diff.replaces) == (True, [])
