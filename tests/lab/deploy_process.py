"""A control plane in a process of its own: runs one queued store deployment to its end.

Tests kill it mid-deploy (SIGKILL, by pid) or run two at once; the deployment's record and
events are in the store, as the web app's background deploys leave them:

    python -m tests.lab.deploy_process STORE_URL DEPLOYMENT_ID INVENTORY [WAIT_S]
"""

from __future__ import annotations

import sys
from pathlib import Path

from controlplane import store
from controlplane.usecases.deployments import run_deployment


def main(argv: list[str]) -> int:
    url, deployment_id, inventory = argv[0], int(argv[1]), Path(argv[2])
    wait_s = float(argv[3]) if len(argv) > 3 else 0.0
    sessions = store.session_factory(store.make_engine(url))
    run_deployment(sessions, deployment_id, inventory, wait_s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
