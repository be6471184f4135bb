"""Local, stateful HTTPS emulator of the identity platform, Microsoft Graph (the directory
objects and synchronization an Entra enterprise app uses), ARM's cloud metadata and Asana SCIM,
so the providers can be tested end to end without any real service."""

from .emulator import Emulator
from .faults import Fault
from .gallery import ASANA_TEMPLATE_ID, MSIAM_ACCESS_ROLE_ID, USER_ROLE_ID
from .requestlog import RecordedRequest

__all__ = [
    "ASANA_TEMPLATE_ID",
    "MSIAM_ACCESS_ROLE_ID",
    "USER_ROLE_ID",
    "Emulator",
    "Fault",
    "RecordedRequest",
]
