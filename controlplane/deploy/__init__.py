"""Deploy rendered files to LB hosts with Ansible (through ansible-runner)."""

from .events import DeployEvent
from .lock import DeployLocked, environment_lock
from .orchestrate import DeployResult, HostResult, deploy_environment, diff_deployed, probe_hosts

__all__ = [
    "DeployEvent",
    "DeployLocked",
    "DeployResult",
    "HostResult",
    "deploy_environment",
    "diff_deployed",
    "environment_lock",
    "probe_hosts",
]
