"""The Emulator's provisioning hooks for tests (issue 14): set a job's status, run a
provisioning cycle as the service would, write or read provisioning log entries, make exports
of an object fail, and read what reached Asana SCIM. Mixed into `Emulator`, which provides the
state lock, the Graph service and the SCIM service."""

from __future__ import annotations

import threading

from .graph import Graph
from .passthrough import locked
from .provisioning_cycle import Provisioner
from .provisioning_logs import ProvisioningLogs
from .scim import Scim
from .synchronization import Synchronization


class ProvisioningFacade:
    """Provisioning hooks; each holds the emulator's state lock and is the service's own method,
    made by `locked` (see there for signature and docstring)."""

    _lock: threading.RLock
    _graph: Graph
    _scim: Scim

    set_job_status = locked("_graph.synchronization", Synchronization.set_status)
    run_provisioning_cycle = locked("_graph.provisioner", Provisioner.run_cycle)
    add_provisioning_log_entries = locked("_graph.provisioning_logs", ProvisioningLogs.add)
    provisioning_log_entries = locked("_graph.provisioning_logs", ProvisioningLogs.entries)
    fail_export = locked("_graph.provisioner", Provisioner.fail_export)
    heal_export = locked("_graph.provisioner", Provisioner.heal_export)
    scim_users = locked("_scim", Scim.users)
    scim_groups = locked("_scim", Scim.groups)
