"""Deploy rendered files to LB hosts with Ansible (through ansible-runner)."""

from .ansible_executor import AnsibleExecutor, probe_hosts
from .events import DeployEvent, Verdict
from .executor import Executor, HostDeploy, HostResult
from .lock import DeployLocked, environment_lock
from .orchestrate import DeployResult, deploy_environment, diff_deployed
from .recording_executor import RecordingExecutor

__all__ = [
    "AnsibleExecutor",
    "DeployEvent",
    "DeployLocked",
    "DeployResult",
    "Executor",
    "HostDeploy",
    "HostResult",
    "RecordingExecutor",
    "Verdict",
    "deploy_environment",
    "diff_deployed",
    "environment_lock",
    "probe_hosts",
]
