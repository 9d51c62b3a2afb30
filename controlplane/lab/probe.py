"""The VIP probe run from the lab's client namespace, as a child process.

The probe itself (controlplane/observe/vip_probe.py) is the product's; only where it runs
is the lab's.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from ..observe import vip_probe
from ..observe.vip_probe import ProbeRun
from . import apps


class _ProcessRun:
    def __init__(self, argv: list[str], env: dict[str, str] | None, max_seconds: float) -> None:
        self._limit = max_seconds + 10
        self._process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    def stop(self) -> dict[str, Any]:
        if self._process.poll() is None:
            self._process.terminate()  # our own child, by pid: it prints its report and exits
        try:
            out, err = self._process.communicate(timeout=self._limit)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise RuntimeError("the probe did not stop; killed it") from None
        if self._process.returncode != 0:
            raise RuntimeError(f"the probe failed ({self._process.returncode}): {err.strip()}")
        return json.loads(out)


class NamespaceProbe:
    """Probe `url` from a network namespace (the lab's client), as a child process."""

    def __init__(self, namespace: str, url: str, interval: float = 0.01) -> None:
        self.namespace, self.url, self.interval = namespace, url, interval

    def start(self, max_seconds: float) -> ProbeRun:
        argv = apps.in_namespace(
            self.namespace,
            vip_probe.__name__,
            "--url",
            self.url,
            "--interval",
            str(self.interval),
            "--max-seconds",
            str(max_seconds),
        )
        return _ProcessRun(argv, apps.python_env(), max_seconds)
