"""ProvisioningTemplate through the SDK's provider server, against the emulator."""

from __future__ import annotations

import pytest

from providers.provisioning_template import ProvisioningTemplateProvider
from tests.conftest import (
    ASANA_TEMPLATE,
    CLIENT_ID,
    SERVICE_PRINCIPAL_ID,
    TENANT_ID,
    StartServer,
    Tenant,
)
from tests.emulator import Emulator, Fault
from tests.engine import UNKNOWN, EngineResource, ProviderError, ProviderServer

TEMPLATES_PATH = rf"/v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/templates$"
OTHER_PRINCIPAL_ID = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"


def template_resource(server: ProviderServer) -> EngineResource:
    return EngineResource(
        server=server,
        provider=ProvisioningTemplateProvider(),
        type_token="asana:ProvisioningTemplate",
        name="asana-template",
    )


def graph_calls(emulator: Emulator) -> int:
    return emulator.count(service="graph")


def test_first_preview_accepts_a_service_principal_not_created_yet(emulator: Emulator, server):
    checked, diff = template_resource(server).preview({"service_principal_id": UNKNOWN})

    assert checked.failures == []
    assert diff is None
    assert emulator.requests == []


@pytest.mark.parametrize("principal", ["", "asana", "9f8e7d6c-5b4a-4392-8170", 7])
def test_check_rejects_a_service_principal_id_that_is_not_a_guid(emulator, server, principal):
    checked, _ = template_resource(server).preview({"service_principal_id": principal})

    assert [prop for prop, _ in checked.failures] == ["service_principal_id"]
    assert emulator.requests == []


def test_check_rejects_a_factory_tag_with_spaces(emulator: Emulator, server):
    checked, _ = template_resource(server).preview(
        {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "asana scim"}
    )

    assert [prop for prop, _ in checked.failures] == ["factory_tag"]


def test_full_lifecycle_lookup_refresh_diff_and_destroy(emulator: Emulator, server):
    resource = template_resource(server)

    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    assert resource.outputs["template_id"] == "asana"
    assert resource.outputs["factory_tag"] == "asana"
    assert emulator.count(service="graph", method="GET", path=TEMPLATES_PATH) == 1
    assert graph_calls(emulator) == 1

    assert not resource.refresh().drift
    assert graph_calls(emulator) == 2

    _, same = resource.preview(
        {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "asana"}
    )
    assert same is not None and same.changes is False
    _, moved = resource.preview({"service_principal_id": OTHER_PRINCIPAL_ID})
    assert moved is not None and moved.replaces == ["service_principal_id"]
    _, unknown = resource.preview({"service_principal_id": UNKNOWN})
    assert unknown is not None and unknown.replaces == ["service_principal_id"]
    assert graph_calls(emulator) == 2

    resource.destroy()
    assert graph_calls(emulator) == 2


def test_a_template_replaced_in_entra_shows_as_drift(emulator: Emulator, server):
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.set_templates(SERVICE_PRINCIPAL_ID, [{**ASANA_TEMPLATE, "id": "asana.v2"}])

    refreshed = resource.refresh()

    assert refreshed.drift
    assert refreshed.changed_outputs["template_id"] == ("asana", "asana.v2")


def test_a_deleted_service_principal_shows_the_lookup_as_gone(emulator: Emulator, server):
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.remove_service_principal(SERVICE_PRINCIPAL_ID)

    refreshed = resource.refresh()

    assert refreshed.deleted and resource.id is None


def test_no_matching_template_is_a_clear_error(emulator: Emulator, server):
    with pytest.raises(ProviderError) as failure:
        template_resource(server).up(
            {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "workday"}
        )

    assert "has no synchronization template with factory tag 'workday'" in failure.value.details
    assert "asana (factoryTag asana)" in failure.value.details


def test_several_templates_ask_for_a_factory_tag(emulator: Emulator, server):
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID, [ASANA_TEMPLATE, {"id": "scim", "factoryTag": "scim", "schema": {}}]
    )
    resource = template_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    assert "has 2 synchronization templates" in failure.value.details
    assert "Set factory_tag to choose one" in failure.value.details

    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "scim"})
    assert resource.outputs["template_id"] == "scim"


def test_unknown_service_principal_is_reported_with_graphs_error(emulator: Emulator, server):
    with pytest.raises(ProviderError) as failure:
        template_resource(server).up({"service_principal_id": OTHER_PRINCIPAL_ID})

    assert "Microsoft Graph GET /v1.0/servicePrincipals/" in failure.value.details
    assert "failed with HTTP 404: Request_ResourceNotFound" in failure.value.details


def test_lookup_survives_throttling_and_a_dropped_connection(emulator: Emulator, server):
    emulator.inject(Fault.status(429, retry_after=1), service="graph", path=TEMPLATES_PATH)
    emulator.inject(Fault.reset(), service="graph", path=TEMPLATES_PATH)
    resource = template_resource(server)

    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    assert resource.outputs["template_id"] == "asana"
    assert emulator.count(service="graph", path=TEMPLATES_PATH) == 3


def test_graph_throttling_past_the_budget_fails_clearly(emulator: Emulator, server):
    emulator.inject(Fault.status(429, retry_after=60), service="graph", times=5)
    resource = template_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    assert "Microsoft Graph GET" in failure.value.details
    assert "was throttled (HTTP 429)" in failure.value.details
    assert resource.id is None


def test_graph_token_comes_from_the_token_endpoint_through_azure_identity(
    emulator: Emulator, server
):
    template_resource(server).up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    token_requests = [r for r in emulator.requests if r.service == "token"]
    assert [(r.method, r.status) for r in token_requests][-1] == ("POST", 200)
    assert token_requests[-1].body["grant_type"] == "client_credentials"
    assert token_requests[-1].body["client_id"] == CLIENT_ID
    assert token_requests[-1].body["scope"] == f"{emulator.graph_url}/.default"


def test_a_wrong_client_secret_fails_with_entras_error_and_not_the_secret(
    emulator: Emulator, start_server: StartServer, tenant: Tenant
):
    emulator.register_app(TENANT_ID, CLIENT_ID, "the-secret-entra-knows")

    with pytest.raises(ProviderError) as failure:
        template_resource(start_server()).up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    assert "AADSTS7000215" in failure.value.details
    assert tenant.client_secret not in failure.value.details
    assert graph_calls(emulator) == 0


def test_a_new_factory_tag_is_an_update_that_looks_the_template_up_again(emulator, server):
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID, [ASANA_TEMPLATE, {"id": "scim", "factoryTag": "SCIM", "schema": {}}]
    )
    created = resource.id

    diff = resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "scim"})

    assert diff is not None and (diff.changes, diff.replaces) == (True, [])
    assert resource.id == created
    assert (resource.outputs["template_id"], resource.outputs["factory_tag"]) == ("scim", "SCIM")
    assert emulator.count(service="graph", method="GET", path=TEMPLATES_PATH) == 2


def test_refresh_keeps_the_recorded_template_while_the_principal_still_has_it(
    emulator: Emulator, server
):
    """A second template of the same factory tag appearing beside ours (a newer version of
    the gallery's) changes nothing: the job was made from the recorded template, which is
    still there, so refresh neither reports another one nor fails on the now ambiguous tag."""
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID, [{**ASANA_TEMPLATE, "id": "asana.v2"}, ASANA_TEMPLATE]
    )

    refreshed = resource.refresh()

    assert refreshed.drift is False
    assert resource.outputs["template_id"] == "asana"


def test_refresh_after_the_recorded_template_is_replaced_finds_the_one_of_its_factory_tag(
    emulator: Emulator, server
):
    """The recorded template is gone; of the principal's templates the one of the recorded
    factory tag is the job's now, the other tag's template not."""
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID,
        [{**ASANA_TEMPLATE, "id": "asana.v2"}, {"id": "scim", "factoryTag": "scim", "schema": {}}],
    )

    refreshed = resource.refresh()

    assert refreshed.changed_outputs["template_id"] == ("asana", "asana.v2")
    assert resource.outputs["factory_tag"] == "asana"


def test_a_principal_left_with_only_another_factory_tags_template_reads_the_lookup_as_gone(
    emulator: Emulator, server
):
    """No template of the recorded factory tag is left: Pulumi's contract for a resource that
    no longer exists is a read with no id (pulumi.dynamic.ReadResult), so refresh drops it."""
    resource = template_resource(server)
    resource.up({"service_principal_id": SERVICE_PRINCIPAL_ID})
    emulator.set_templates(
        SERVICE_PRINCIPAL_ID, [{"id": "scim", "factoryTag": "scim", "schema": {}}]
    )

    refreshed = resource.refresh()

    assert refreshed.deleted and resource.id is None


@pytest.mark.parametrize(
    "untagged",
    [{"id": "untagged", "schema": {}}, {"id": "untagged", "factoryTag": None, "schema": {}}],
    ids=["factoryTag-absent", "factoryTag-null"],
)
@pytest.mark.parametrize("tag", ["none", "None", "null", "xxxx"], ids=lambda tag: tag)
def test_a_template_without_a_factory_tag_is_never_the_one_a_tag_asks_for(
    emulator: Emulator, server, untagged, tag
):
    """Graph's synchronizationTemplate.factoryTag is nullable (the v1.0 metadata: `String`,
    nullable), so a template may come with `"factoryTag": null` or without the property. Such a
    template has no factory tag, so no tag asked for finds it, whatever the user typed: not
    "none" or "null" (what a missing tag reads as once turned into text), nor a placeholder."""
    emulator.set_templates(SERVICE_PRINCIPAL_ID, [untagged])

    with pytest.raises(ProviderError) as failure:
        template_resource(server).up(
            {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": tag}
        )

    assert (
        f"Microsoft Graph GET /v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/"
        f"templates: service principal {SERVICE_PRINCIPAL_ID} has no synchronization template "
        f"with factory tag {tag!r}"
    ) in failure.value.details


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (
            {"value": [{**ASANA_TEMPLATE, "id": ""}]},
            "answered with a template without an id",
        ),
        (
            {"value": {"id": "asana"}},
            "answered with a collection whose value is missing or not a list of objects",
        ),
    ],
    ids=["template-with-empty-id", "value-not-a-list"],
)
def test_a_templates_reply_of_another_shape_is_an_error_naming_the_request(
    emulator: Emulator, server, reply, detail
):
    """A listTemplates reply is a collection of synchronizationTemplate objects, each with an id
    (https://learn.microsoft.com/graph/api/synchronization-synchronization-list-templates)."""
    emulator.inject(Fault.status(200, body=reply), service="graph", path=TEMPLATES_PATH)

    with pytest.raises(ProviderError) as failure:
        template_resource(server).up({"service_principal_id": SERVICE_PRINCIPAL_ID})

    assert (
        f"Microsoft Graph GET /v1.0/servicePrincipals/{SERVICE_PRINCIPAL_ID}/synchronization/"
        f"templates {detail}"
    ) in failure.value.details


def test_an_empty_factory_tag_means_none_asked_for(emulator: Emulator, server):
    """A stack setting left empty asks for no particular template: the input is dropped."""
    checked, _ = template_resource(server).preview(
        {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": ""}
    )

    assert checked.failures == []
    assert "factory_tag" not in checked.inputs


def test_a_factory_tag_with_spaces_is_told_what_a_factory_tag_must_be(emulator: Emulator, server):
    checked, _ = template_resource(server).preview(
        {"service_principal_id": SERVICE_PRINCIPAL_ID, "factory_tag": "asana scim"}
    )

    assert [reason for _, reason in checked.failures] == [
        "must be a factory tag of visible ASCII characters (no spaces, controls or '…')"
    ]
