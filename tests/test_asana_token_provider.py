"""AsanaServiceAccountToken through the SDK's provider server, against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from providers.asana_token import AsanaServiceAccountTokenProvider, fingerprint
from rules.asana import SCIM_TENANT_URL
from tests.conftest import Tenant, server_environment, stack_config
from tests.emulator import Emulator, Fault
from tests.engine import UNKNOWN, EngineResource, ProviderError, ProviderServer, Secret
from tests.intercepting_proxy import InterceptingProxy

SCIM_USERS = r"/api/1.0/scim/Users$"


def token_resource(server: ProviderServer) -> EngineResource:
    return EngineResource(
        server=server,
        provider=AsanaServiceAccountTokenProvider(),
        type_token="asana:ServiceAccountToken",
        name="asana-token",
        secret_inputs=frozenset({"token"}),
        additional_secret_outputs=frozenset({"token"}),
    )


def inputs(emulator: Emulator, token: str) -> dict:
    return {"token": Secret(token), "scim_base_url": emulator.scim_base_url}


def scim_calls(emulator: Emulator) -> int:
    return emulator.count(service="scim")


def test_first_preview_checks_the_token_offline(emulator: Emulator, server, tenant: Tenant):
    resource = token_resource(server)

    checked, diff = resource.preview({"token": Secret(tenant.asana_token)})

    assert checked.failures == []
    assert checked.inputs["scim_base_url"] == SCIM_TENANT_URL
    assert diff is None
    assert emulator.requests == []


def test_first_preview_accepts_a_base_url_not_known_yet(emulator: Emulator, server, tenant):
    checked, _ = token_resource(server).preview(
        {"token": Secret(tenant.asana_token), "scim_base_url": UNKNOWN}
    )

    assert checked.failures == []
    assert emulator.requests == []


@pytest.mark.parametrize("token", ["", "   ", "\n\t"])
def test_check_rejects_an_empty_or_blank_token_naming_the_property(
    emulator: Emulator, server, token: str
):
    checked, _ = token_resource(server).preview({"token": Secret(token)})

    assert [prop for prop, _ in checked.failures] == ["token"]
    assert "pulumi config set --secret asanaToken" in checked.failures[0][1]
    assert emulator.requests == []


def test_check_rejects_a_token_with_a_line_break_without_echoing_it(server, tenant: Tenant):
    checked, _ = token_resource(server).preview({"token": Secret(tenant.asana_token + "\n")})

    assert [prop for prop, _ in checked.failures] == ["token"]
    assert tenant.asana_token not in checked.failures[0][1]


@pytest.mark.parametrize(
    "url",
    [
        "http://app.asana.com/api/1.0/scim",
        "app.asana.com/api/1.0/scim",
        "https://",
        "https://app.asana.com/api/1.0/scim?debug=1",
        "https://user:pw@app.asana.com/api/1.0/scim",
        "https://app.asana.com:99999/scim",
        42,
    ],
)
def test_check_rejects_a_non_https_or_malformed_base_url(emulator, server, tenant, url):
    checked, _ = token_resource(server).preview(
        {"token": Secret(tenant.asana_token), "scim_base_url": url}
    )

    assert [prop for prop, _ in checked.failures] == ["scim_base_url"]
    assert emulator.requests == []


def test_full_lifecycle_create_refresh_rotate_revoke_destroy(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server)

    resource.up(inputs(emulator, tenant.asana_token))
    created_id = resource.id
    assert resource.outputs["accepted"] is True
    assert resource.outputs["fingerprint"] == fingerprint(tenant.asana_token)
    assert resource.outputs["validated_at"]
    assert scim_calls(emulator) == 1

    refreshed = resource.refresh()
    assert not refreshed.drift
    assert scim_calls(emulator) == 2

    _, unchanged = resource.preview(inputs(emulator, tenant.asana_token))
    assert unchanged is not None and unchanged.changes is False

    rotated = tenant.asana_token[:-4] + "beef"
    emulator.add_scim_token(rotated)
    _, rotation = resource.preview(inputs(emulator, rotated))
    assert rotation is not None and rotation.changes is True and rotation.replaces == []
    assert scim_calls(emulator) == 2

    resource.up(inputs(emulator, rotated))
    assert resource.id == created_id
    assert resource.outputs["fingerprint"] == fingerprint(rotated)
    assert scim_calls(emulator) == 3

    emulator.revoke_scim_token(rotated)
    drifted = resource.refresh()
    assert drifted.drift and not drifted.deleted
    assert drifted.changed_outputs["accepted"] == (True, False)
    assert "HTTP 401" in resource.outputs["rejection"]

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(emulator, rotated))
    assert "Asana rejected the service-account token (HTTP 401" in failure.value.details
    assert "pulumi config set --secret asanaToken" in failure.value.details
    assert rotated not in failure.value.details

    before_destroy = len(emulator.requests)
    resource.destroy()
    assert len(emulator.requests) == before_destroy


def test_revoked_token_shows_as_drift_and_recovers_after_a_new_token(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server)
    resource.up(inputs(emulator, tenant.asana_token))
    emulator.revoke_scim_token(tenant.asana_token)

    assert resource.refresh().drift

    replacement = tenant.asana_token[:-4] + "cafe"
    emulator.add_scim_token(replacement)
    resource.up(inputs(emulator, replacement))
    assert resource.outputs["accepted"] is True
    assert "rejection" not in resource.outputs
    assert not resource.refresh().drift


def test_rejected_token_fails_create_with_remediation_and_stores_nothing(
    emulator: Emulator, server: ProviderServer
):
    resource = token_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(emulator, "1/111/222:not-a-token-asana-knows"))

    assert "HTTP 401: Not Authorized" in failure.value.details
    assert "User provisioning (SCIM)" in failure.value.details
    assert resource.id is None
    assert scim_calls(emulator) == 1


def test_token_without_scim_access_is_explained(emulator: Emulator, server, tenant: Tenant):
    forbidden = Fault.status(403, body={"errors": [{"message": "Forbidden"}]})
    emulator.inject(forbidden, service="scim", path=SCIM_USERS)

    with pytest.raises(ProviderError) as failure:
        token_resource(server).up(inputs(emulator, tenant.asana_token))

    assert "HTTP 403: Forbidden" in failure.value.details
    assert "may not use SCIM" in failure.value.details


def test_a_base_url_that_is_not_scim_is_reported(emulator: Emulator, server, tenant: Tenant):
    not_scim = Fault.status(200, body={"data": {"gid": "1"}})
    emulator.inject(not_scim, service="scim", path=SCIM_USERS)

    with pytest.raises(ProviderError) as failure:
        token_resource(server).up(inputs(emulator, tenant.asana_token))

    assert "without a SCIM ListResponse" in failure.value.details


def test_create_succeeds_through_throttling_and_transient_failures(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    emulator.inject(Fault.status(429, retry_after=1), service="scim")
    emulator.inject(Fault.status(503), service="scim")
    emulator.inject(Fault.reset(), service="scim")
    resource = token_resource(server)

    resource.up(inputs(emulator, tenant.asana_token))

    assert resource.outputs["accepted"] is True
    assert scim_calls(emulator) == 4
    assert emulator.pending_faults() == 0


def test_throttling_past_the_retry_budget_fails_clearly_and_stores_nothing(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    emulator.inject(Fault.status(429, retry_after=30), service="scim", times=10)
    resource = token_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(emulator, tenant.asana_token))

    message = failure.value.details
    assert "Asana SCIM GET /api/1.0/scim/Users was throttled (HTTP 429)" in message
    assert "10 s retry budget" in message and "asked to wait 30 s" in message
    assert tenant.asana_token not in message
    assert resource.id is None


def test_replies_slower_than_the_timeout_are_retried_then_reported(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    emulator.inject(Fault.slow(3), service="scim", times=10)
    resource = token_resource(server)

    with pytest.raises(ProviderError) as failure:
        resource.up(inputs(emulator, tenant.asana_token))

    assert "timed out (read timeout 2 s)" in failure.value.details
    assert resource.id is None


def test_refresh_during_an_outage_is_an_error_not_drift(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server)
    resource.up(inputs(emulator, tenant.asana_token))
    outputs_before = dict(resource.outputs)
    emulator.inject(Fault.status(500), service="scim", times=10)

    with pytest.raises(ProviderError) as failure:
        resource.refresh()

    assert "kept failing (HTTP 500)" in failure.value.details
    assert resource.outputs == outputs_before


def test_a_token_accepted_again_at_the_next_refresh_drops_the_recorded_rejection(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    """Read reports what Asana answers now; its inputs are the token and base URL it checked
    (pulumi.dynamic.ReadResult: "the input properties to use for subsequent diffs")."""
    resource = token_resource(server)
    resource.up(inputs(emulator, tenant.asana_token))
    emulator.revoke_scim_token(tenant.asana_token)
    assert resource.refresh().drift and "HTTP 401" in resource.outputs["rejection"]
    emulator.add_scim_token(tenant.asana_token)
    # stored inputs that differ from the checked ones (a state edited by hand) are replaced
    resource.inputs = {**resource.inputs, "scim_base_url": emulator.scim_base_url + "/"}

    resource.refresh()

    assert resource.outputs["accepted"] is True
    assert "rejection" not in resource.outputs
    assert {k: v for k, v in resource.inputs.items() if k != "__provider"} == {
        "token": Secret(tenant.asana_token),  # still a secret
        "scim_base_url": emulator.scim_base_url,
    }


@pytest.mark.parametrize("token", [None, ""], ids=["no-token", "empty-token"])
def test_a_state_without_a_token_reads_as_gone(
    emulator: Emulator, server: ProviderServer, tenant: Tenant, token
):
    """A state holding no token (edited by hand) has nothing to check: read answers with no
    id, Pulumi's contract for a resource that no longer exists (pulumi.dynamic.ReadResult)."""
    resource = token_resource(server)
    resource.up(inputs(emulator, tenant.asana_token))
    resource.outputs = {**resource.outputs, "token": token}
    before = scim_calls(emulator)

    refreshed = resource.refresh()

    assert refreshed.deleted and resource.id is None
    assert scim_calls(emulator) == before


def test_a_refresh_records_the_fingerprint_a_state_lacks(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    resource = token_resource(server)
    resource.up(inputs(emulator, tenant.asana_token))
    recorded = resource.outputs["fingerprint"]
    resource.outputs = {k: v for k, v in resource.outputs.items() if k != "fingerprint"}

    resource.refresh()

    assert resource.outputs["fingerprint"] == recorded


# Asana's documented SCIM base URL (docs/api-facts.md, https://developers.asana.com/docs/scim).
ASANA_SCIM_BASE_URL = "https://app.asana.com/api/1.0/scim"


def test_a_token_read_by_id_without_a_base_url_is_checked_at_asanas_url_and_records_it(
    emulator: Emulator, tenant: Tenant, tmp_path: Path
):
    """A token resource read by id (`ResourceOptions(id=...)`) from a program that gives no
    `scim_base_url`: the engine's ReadStep sends the program's properties as both state and
    inputs (pulumi `pkg/resource/deploy/step.go`), and the SDK leaves out those that are None
    (`pulumi/runtime/rpc.py`, `serialize_properties`), so the dynamic provider's read gets the
    token alone. It checks the token at Asana's documented URL, through the standard proxy
    settings (here a local proxy answering for app.asana.com from the emulator), and records
    that URL in the outputs and the inputs, as create records the URL it checked."""
    emulator_url = urlsplit(emulator.base_url)
    upstream = (emulator_url.hostname or "", emulator_url.port or 443)
    with InterceptingProxy("app.asana.com", upstream, emulator.ca_bundle_path) as proxy:
        bundle = tmp_path / "ca.pem"
        bundle.write_text(Path(emulator.ca_bundle_path).read_text() + proxy.ca_pem)
        env = {
            key: value
            for key, value in server_environment(emulator).items()
            if not key.lower().endswith("_proxy")
        }
        env.update(
            HTTPS_PROXY=proxy.url,
            NO_PROXY="127.0.0.1,localhost",
            REQUESTS_CA_BUNDLE=str(bundle),
            SSL_CERT_FILE=str(bundle),
        )
        with ProviderServer(env=env) as server:
            server.configure(stack_config(emulator, tenant))
            resource = token_resource(server)
            resource.id = "asana-service-account-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
            declared = resource._with_provider({"token": Secret(tenant.asana_token)})
            resource.inputs, resource.outputs = dict(declared), dict(declared)
            before = scim_calls(emulator)

            refreshed = resource.refresh()

    assert not refreshed.deleted
    assert proxy.requested == ["CONNECT app.asana.com:443"]
    assert scim_calls(emulator) == before + 1
    assert resource.outputs["scim_base_url"] == ASANA_SCIM_BASE_URL
    assert resource.outputs["accepted"] is True
    assert resource.outputs["fingerprint"] == fingerprint(tenant.asana_token)
    assert resource.inputs["scim_base_url"] == ASANA_SCIM_BASE_URL


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://app.asana.com/api/1.0/scim/", ASANA_SCIM_BASE_URL),
        ("https://app.asana.com/api/1.0/scim//", ASANA_SCIM_BASE_URL),
        ("https://scim.example.com/tenants/X/", "https://scim.example.com/tenants/X"),
        ("https://scim.example.com/tenants/X", "https://scim.example.com/tenants/X"),
    ],
    ids=["one-slash", "two-slashes", "path-ending-in-X-with-slash", "path-ending-in-X"],
)
def test_check_drops_only_the_trailing_slashes_of_a_base_url(
    emulator: Emulator, server, tenant: Tenant, given: str, kept: str
):
    """The client appends `/Users` to the base URL, so trailing `/`s are dropped at check:
    `.../scim/` and `.../scim` are one base URL. Every other character is part of the URL and
    stays. All offline."""
    checked, _ = token_resource(server).preview(
        {"token": Secret(tenant.asana_token), "scim_base_url": given}
    )

    assert checked.failures == []
    assert checked.inputs["scim_base_url"] == kept
    assert emulator.requests == []


@pytest.mark.parametrize("token", [42, ["a", "b"]], ids=["number", "list"])
def test_check_refuses_a_token_that_is_not_text_naming_the_property_and_the_way_to_set_it(
    emulator: Emulator, server, token
):
    checked, _ = token_resource(server).preview({"token": token})

    assert checked.failures == [
        (
            "token",
            "must be an Asana service-account token (text); copy the token again and set it "
            "with `pulumi config set --secret asanaToken <token>`",
        )
    ]
    assert emulator.requests == []


def test_validated_at_is_the_moment_asana_accepted_the_token_in_utc(
    emulator: Emulator, server: ProviderServer, tenant: Tenant
):
    """An ISO 8601 moment with its UTC offset (RFC 3339 section 5.6), to the second: a time
    without an offset would read differently on every runner's time zone."""
    before = datetime.now(UTC).replace(microsecond=0)
    resource = token_resource(server)

    resource.up(inputs(emulator, tenant.asana_token))

    validated = datetime.fromisoformat(resource.outputs["validated_at"])
    assert validated.utcoffset() == timedelta(0)
    assert before <= validated <= datetime.now(UTC)
    assert validated.microsecond == 0
