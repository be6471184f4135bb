"""The functions (data sources) the stand-in serves: exactly those our program invokes."""

from __future__ import annotations

from tests.azuread_standin.functions.application import GetApplication
from tests.azuread_standin.functions.application_template import GetApplicationTemplate
from tests.azuread_standin.functions.base import Function
from tests.azuread_standin.functions.client_config import GetClientConfig
from tests.azuread_standin.functions.group import GetGroup
from tests.azuread_standin.functions.groups import GetGroups
from tests.azuread_standin.functions.user import GetUser
from tests.azuread_standin.functions.users import GetUsers

FUNCTIONS: dict[str, Function] = {
    function.schema.token: function
    for function in (
        GetApplicationTemplate(),
        GetApplication(),
        GetGroup(),
        GetGroups(),
        GetUser(),
        GetUsers(),
        GetClientConfig(),
    )
}
