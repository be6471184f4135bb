"""A workaround for the test harness only: the Pulumi SDK's provider pickling, put back after
each dynamic resource.

`pulumi.dynamic.serialize_provider` (pulumi 3.272.0) wraps `pickle._Pickler._batch_setitems`
(and replaces `save_dict`) on every call without putting them back, so each dynamic resource
adds a frame to every later pickle; around a thousand resources in one process, pickling fails
with RecursionError. A real stack declares a handful per program run; only a test process (the
whole suite, the scale test, the benchmark) declares that many, so the fix lives here.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator
from unittest import mock

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic import dynamic as sdk_dynamic

_sdk_serialize_provider = sdk_dynamic.serialize_provider


def serialize_provider(provider: ResourceProvider) -> str:
    """What the SDK stores as `__provider`, with the pickler as it was before the call."""
    saved = (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict)  # type: ignore[attr-defined]
    try:
        return _sdk_serialize_provider(provider)
    finally:
        pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = saved  # type: ignore[attr-defined]


@contextlib.contextmanager
def restored_after_each_resource() -> Iterator[None]:
    """Within the block, every dynamic resource declared serializes its provider as above."""
    with mock.patch.object(sdk_dynamic, "serialize_provider", serialize_provider):
        yield
