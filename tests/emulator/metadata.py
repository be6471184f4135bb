"""Azure Resource Manager's cloud metadata endpoint, naming the emulator as the cloud.

The azuread provider with `metadataHost` set loads its cloud from
`GET https://<metadataHost>/metadata/endpoints?api-version=2022-09-01` (hashicorp/go-azure-sdk
`sdk/environments.FromEndpoint`): it requires `name`, `resourceManager` and
`microsoftGraphResourceId`, takes `authentication.loginEndpoint` as the token authority
(requesting `<loginEndpoint>/<tenant>/oauth2/v2.0/token`) and uses the Graph resource id, without
its trailing slash, both as Graph's base URL and as the token scope (`<id>/.default`).

The document has the shape ARM serves for api-version 2022-09-01 (one object, not the 2019
list); its values point at this emulator wherever a client of ours could follow them, and keep
the public cloud's values elsewhere. The same document is what `az cloud register
--endpoint-resource-manager` reads (https://learn.microsoft.com/cli/azure/cloud#az-cloud-register).
"""

from __future__ import annotations

import uuid

from .messages import JsonObject, Request, Response

PATH = "/metadata/endpoints"
SUPPORTED_API_VERSIONS = ("2020-06-01", "2022-09-01")
"""The versions that answer with a single cloud object (2019-05-01 answers with a list)."""

CLOUD_NAME = "AsanaProvisioningEmulator"

_FAULT_ERRORS: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "The request is being throttled."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
}

_PUBLIC_CLOUD_SUFFIXES: JsonObject = {
    "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
    "acrLoginServer": "azurecr.io",
    "sqlServerHostname": "database.windows.net",
    "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
    "keyVaultDns": "vault.azure.net",
    "storage": "core.windows.net",
    "azureFrontDoorEndpointSuffix": "azurefd.net",
    "storageSyncEndpointSuffix": "afs.azure.net",
    "mhsmDns": "managedhsm.azure.net",
    "mysqlServerEndpoint": "mysql.database.azure.com",
    "postgresqlServerEndpoint": "postgres.database.azure.com",
    "mariadbServerEndpoint": "mariadb.database.azure.com",
    "synapseAnalytics": "dev.azuresynapse.net",
    "attestationEndpoint": "attest.azure.net",
}


def cloud_metadata(base_url: str) -> JsonObject:
    """The metadata document: login, Microsoft Graph and Resource Manager are this emulator.

    Resource ids end with "/" as ARM writes them; go-azure-sdk trims it. The login endpoint has
    no trailing slash so that the token URL it builds has no double slash.
    """
    root = f"{base_url}/"
    return {
        "portal": base_url,
        "authentication": {
            "loginEndpoint": base_url,
            "audiences": [root],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": CLOUD_NAME,
        "suffixes": dict(_PUBLIC_CLOUD_SUFFIXES),
        "batch": "https://batch.core.windows.net/",
        "resourceManager": root,
        "vmImageAliasDoc": (
            "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
            "quickstart-templates/aliases.json"
        ),
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "microsoftGraphResourceId": root,
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    }


class Metadata:
    """The unauthenticated metadata endpoint, a service of its own for routing and faults."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    def serves(self, path: str) -> bool:
        return path == PATH

    def handle(self, request: Request) -> Response:
        if request.method != "GET":
            return _error(
                405,
                "HttpMethodNotAllowed",
                f"The requested resource does not support http method '{request.method}'.",
            )
        version = request.query.get("api-version")
        if version is None:
            return _error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if version not in SUPPORTED_API_VERSIONS:
            return _error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{','.join(SUPPORTED_API_VERSIONS)}'.",
            )
        return Response(200, cloud_metadata(self._base_url))

    def fault_response(self, status: int, request: Request) -> Response:
        code, message = _FAULT_ERRORS.get(
            status, ("InternalServerError", "The server encountered an internal error.")
        )
        return _error(status, code, message)

    def loggable_body(self, body: object | None) -> object | None:
        return body


def _error(status: int, code: str, message: str) -> Response:
    """ARM's error envelope, with its correlation headers."""
    headers = {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-correlation-request-id": str(uuid.uuid4()),
    }
    return Response(status, {"error": {"code": code, "message": message}}, headers)
