"""The JSON of directory objects as Graph v1.0 returns them: application, servicePrincipal,
group and user, with every property a default GET returns (null or empty when unset).

Shapes follow Microsoft's own examples: the `applicationServicePrincipal` an instantiate call
returns (https://learn.microsoft.com/graph/application-saml-sso-configure-api and the 2025
"Configure Microsoft Entra Private Access using Microsoft Graph APIs" tutorial, which shows a
complete application and service principal), and the resource pages
https://learn.microsoft.com/graph/api/resources/application,
https://learn.microsoft.com/graph/api/resources/serviceprincipal,
https://learn.microsoft.com/graph/api/resources/group and
https://learn.microsoft.com/graph/api/resources/user. tests/graph_models.py checks every one of
them against the msgraph-sdk models.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from .messages import JsonObject

INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
"""The tag that lists a service principal among the portal's enterprise applications."""

USER_DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
"""What GET /users returns without `$select` ("Get user", default properties); every other
stored property needs `$select`."""


def now() -> str:
    """A DateTimeOffset as Graph writes directory timestamps (UTC, seconds, Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_impersonation_scope(display_name: str) -> JsonObject:
    """The delegated permission every gallery or custom app exposes after instantiation."""
    return {
        "adminConsentDescription": (
            f"Allow the application to access {display_name} on behalf of the signed-in user."
        ),
        "adminConsentDisplayName": f"Access {display_name}",
        "id": str(uuid.uuid4()),
        "isEnabled": True,
        "type": "User",
        "userConsentDescription": f"Allow the application to access {display_name} on your behalf.",
        "userConsentDisplayName": f"Access {display_name}",
        "value": "user_impersonation",
    }


def _info() -> JsonObject:
    return {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    }


def _verified_publisher() -> JsonObject:
    return {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def new_application(
    *,
    object_id: str,
    app_id: str,
    display_name: str,
    template_id: str | None,
    app_roles: Sequence[JsonObject],
    publisher_domain: str | None,
    home_page_url: str | None = None,
    identifier_uris: Iterable[str] = (),
    redirect_uris: Iterable[str] = (),
    scopes: Sequence[JsonObject] = (),
) -> JsonObject:
    """An application object; it carries the app roles defined on it (origin "Application")."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "appId": app_id,
        "applicationTemplateId": template_id,
        "disabledByMicrosoftStatus": None,
        "createdDateTime": now(),
        "displayName": display_name,
        "description": None,
        "groupMembershipClaims": None,
        "identifierUris": list(identifier_uris),
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": False,
        "nativeAuthenticationApisEnabled": None,
        "notes": None,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "samlMetadataUrl": None,
        "defaultRedirectUri": None,
        "certification": None,
        "optionalClaims": None,
        "requestSignatureVerification": None,
        "servicePrincipalLockConfiguration": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": copy.deepcopy(list(scopes)),
            "preAuthorizedApplications": [],
        },
        "appRoles": [copy.deepcopy(r) for r in app_roles if r["origin"] == "Application"],
        "info": _info(),
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": _verified_publisher(),
        "web": {
            "homePageUrl": home_page_url,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
            "logoutUrl": None,
            "redirectUris": list(redirect_uris),
        },
        "spa": {"redirectUris": []},
    }


def new_service_principal(
    *,
    object_id: str,
    application: JsonObject,
    app_roles: Sequence[JsonObject],
    owner_tenant_id: str | None,
    tags: Iterable[str],
    app_role_assignment_required: bool,
    homepage: str | None = None,
) -> JsonObject:
    """The service principal representing `application` in its own tenant. It lists every
    app role (those of the application and those defined on the principal only)."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": [],
        "appDescription": None,
        "appDisplayName": application["displayName"],
        "appId": application["appId"],
        "applicationTemplateId": application["applicationTemplateId"],
        "appOwnerOrganizationId": owner_tenant_id,
        "appRoleAssignmentRequired": app_role_assignment_required,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": application["displayName"],
        "homepage": homepage,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": list(application["web"]["redirectUris"]),
        "servicePrincipalNames": [application["appId"], *application["identifierUris"]],
        "servicePrincipalType": "Application",
        "signInAudience": application["signInAudience"],
        "tags": list(tags),
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": copy.deepcopy(list(app_roles)),
        "info": _info(),
        "keyCredentials": [],
        "oauth2PermissionScopes": copy.deepcopy(application["api"]["oauth2PermissionScopes"]),
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": _verified_publisher(),
    }


def new_group(
    *,
    object_id: str,
    display_name: str,
    description: str | None,
    mail_nickname: str,
    mail_enabled: bool,
    security_enabled: bool,
    group_types: Iterable[str],
    mail: str | None,
) -> JsonObject:
    """A group as GET /groups/{id} returns it by default."""
    return {
        "id": object_id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": now(),
        "description": description,
        "displayName": display_name,
        "expirationDateTime": None,
        "groupTypes": list(group_types),
        "isAssignableToRole": None,
        "mail": mail,
        "mailEnabled": mail_enabled,
        "mailNickname": mail_nickname,
        "membershipRule": None,
        "membershipRuleProcessingState": None,
        "onPremisesDomainName": None,
        "onPremisesLastSyncDateTime": None,
        "onPremisesNetBiosName": None,
        "onPremisesSamAccountName": None,
        "onPremisesSecurityIdentifier": None,
        "onPremisesSyncEnabled": None,
        "preferredDataLocation": None,
        "preferredLanguage": None,
        "proxyAddresses": [] if mail is None else [f"SMTP:{mail}"],
        "renewedDateTime": now(),
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": security_enabled,
        "securityIdentifier": f"S-1-12-1-{uuid.UUID(object_id).int % 4294967296}",
        "theme": None,
        "visibility": None,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    }


def new_user(
    *,
    object_id: str,
    user_principal_name: str,
    display_name: str,
    mail: str | None,
    mail_nickname: str,
    given_name: str | None,
    surname: str | None,
    job_title: str | None,
    department: str | None,
    employee_id: str | None,
    account_enabled: bool,
    user_type: str = "Member",
    extension_attributes: dict[str, str | None] | None = None,
) -> JsonObject:
    """A user with every property the azuread user data source selects, plus the 15
    `onPremisesExtensionAttributes` scoping filters may read (`extensionAttribute1`-`15`,
    https://learn.microsoft.com/graph/api/resources/onpremisesextensionattributes). `user_type`
    is "Member" or "Guest" (a B2B guest)."""
    extensions: dict[str, str | None] = {f"extensionAttribute{n}": None for n in range(1, 16)}
    for key, value in (extension_attributes or {}).items():
        if key not in extensions:
            raise ValueError(f"{key!r} is not one of extensionAttribute1 to 15")
        extensions[key] = value
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": account_enabled,
        "ageGroup": None,
        "businessPhones": [],
        "city": None,
        "companyName": None,
        "consentProvidedForMinor": None,
        "country": None,
        "createdDateTime": now(),
        "creationType": None,
        "department": department,
        "displayName": display_name,
        "employeeHireDate": None,
        "employeeId": employee_id,
        "employeeOrgData": None,
        "employeeType": None,
        "externalUserState": None,
        "faxNumber": None,
        "givenName": given_name,
        "imAddresses": [],
        "jobTitle": job_title,
        "mail": mail,
        "mailNickname": mail_nickname,
        "mobilePhone": None,
        "officeLocation": None,
        "onPremisesDistinguishedName": None,
        "onPremisesDomainName": None,
        "onPremisesExtensionAttributes": extensions,
        "onPremisesImmutableId": None,
        "onPremisesSamAccountName": None,
        "onPremisesSecurityIdentifier": None,
        "onPremisesSyncEnabled": None,
        "onPremisesUserPrincipalName": None,
        "otherMails": [],
        "postalCode": None,
        "preferredLanguage": None,
        "proxyAddresses": [] if mail is None else [f"SMTP:{mail}"],
        "showInAddressList": None,
        "state": None,
        "streetAddress": None,
        "surname": surname,
        "usageLocation": None,
        "userPrincipalName": user_principal_name,
        "userType": user_type,
    }


def rendered(item: JsonObject, *, reveal_keys: bool = False) -> JsonObject:
    """An application or service principal as Graph shows it: certificate keys only when one
    object is read with `$select=keyCredentials`, password secrets never."""
    body = copy.deepcopy(item)
    for key in body.get("keyCredentials") or []:
        if not reveal_keys:
            key["key"] = None
    for password in body.get("passwordCredentials") or []:
        password["secretText"] = None
    return body


def as_directory_object(kind: str, item: JsonObject) -> JsonObject:
    """An item of a directoryObject collection (members, owners, manager): typed, because the
    collection mixes users, groups and service principals."""
    body = {"@odata.type": f"#microsoft.graph.{kind}"}
    if kind == "user":
        body.update({key: item[key] for key in USER_DEFAULT_PROPERTIES})
    else:
        body.update(item)
    return body
