"""Local, stateful HTTPS emulator of the identity platform, Microsoft Graph synchronization and
Asana SCIM, so the providers can be tested end to end without either real service."""

from .emulator import Emulator
from .faults import Fault
from .requestlog import RecordedRequest

__all__ = ["Emulator", "Fault", "RecordedRequest"]
