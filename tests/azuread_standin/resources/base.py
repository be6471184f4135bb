"""The shape every served resource has: a schema and the Graph calls of each operation.

Operations get plain values (secret markers removed) and return plain state; the server marks
secrets again from the schema, so a resource module never decides what is secret by itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.schema import ResourceSchema

State = dict[str, Any]


class Resource(ABC):
    schema: ClassVar[ResourceSchema]

    @abstractmethod
    def parse_id(self, resource_id: str) -> Any:
        """Parse the resource id (also the import id); raise `StandinError` if malformed."""

    @abstractmethod
    def create(self, ctx: Context, inputs: State) -> tuple[str, State]:
        """Create the object; returns its id and state."""

    @abstractmethod
    def read(self, ctx: Context, resource_id: str, state: State) -> State | None:
        """The live state, or None when the object is gone. `state` is empty on import."""

    def update(self, ctx: Context, resource_id: str, olds: State, news: State) -> State:
        """Apply changed inputs; the default is for resources whose inputs all force a new one."""
        raise StandinError(f"{self.schema.token} has no update: every input forces replacement")

    @abstractmethod
    def delete(self, ctx: Context, resource_id: str, state: State) -> None:
        """Delete the object."""


def already_exists(tf_type: str, resource_id: str) -> StandinError:
    """terraform-provider-azuread `tf.ImportAsExistsError`, as the bridge passes it on."""
    return StandinError(
        f'A resource with the ID "{resource_id}" already exists - to be managed via Terraform '
        "this resource needs to be imported into the State. Please see the resource "
        f'documentation for "{tf_type}" for more information.'
    )
