"""A client of a control plane's /api/v1: one method per call, structured errors, no printing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from .errors import FieldError


@dataclass
class RemoteError(Exception):
    """The server refused a call (or could not be reached: status 0)."""

    status: int
    message: str
    details: list[FieldError] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status})" if self.status else self.message


class RemoteClient:
    """Talks to one control plane with one API token."""

    def __init__(self, server: str, token: str, timeout_s: float = 120.0) -> None:
        self.base = server.rstrip("/") + "/api/v1"
        self.timeout_s = timeout_s
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def get_model(self) -> dict[str, Any]:
        """Return {environment, revision, model} of the current revision (secrets masked)."""
        return self._call("GET", "/model")

    def save_model(
        self, model: dict[str, Any], base_revision: int | None, message: str
    ) -> dict[str, Any]:
        """Return {environment, revision, hash} of the new revision; 409 when base is stale."""
        body = {"base_revision": base_revision, "message": message, "model": model}
        return self._call("PUT", "/model", body)

    def plan(self, model: dict[str, Any]) -> dict[str, Any]:
        """Return the server's plan for a model: diffs against its current and deployed."""
        return self._call("POST", "/plan", {"model": model})

    def start_deploy(self, revision: int | None = None) -> dict[str, Any]:
        """Return {id, url} of a deployment the server started."""
        return self._call("POST", "/deployments", {"revision": revision})

    def deployment(self, deployment_id: int, after: int = 0) -> dict[str, Any]:
        """Return the deployment with its events numbered above `after`."""
        return self._call("GET", f"/deployments/{deployment_id}", params={"after": after})

    def set_server(
        self, pool: str, server: str, state: str | None, weight: int | None
    ) -> dict[str, Any]:
        """Return {revision, applied, hosts[]} of a server change applied without a reload."""
        body = {k: v for k, v in (("state", state), ("weight", weight)) if v is not None}
        path = f"/pools/{quote(pool, safe='')}/servers/{quote(server, safe='')}"
        return self._call("POST", path, body)

    def list_files(self, kind: str | None = None) -> dict[str, Any]:
        """Return {files[]}: metadata of the stored files (of one kind), never their text."""
        return self._call("GET", "/files", params={"kind": kind} if kind else None)

    def put_file(self, kind: str, name: str, content: str) -> dict[str, Any]:
        """Return {file, changed, warnings, revision} of an upload (needs an admin token)."""
        return self._call("PUT", _file_path(kind, name), {"content": content})

    def remove_file(self, kind: str, name: str) -> dict[str, Any]:
        """Return {removed} of a removal (needs an admin token)."""
        return self._call("DELETE", _file_path(kind, name))

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = self.base + path
        try:
            response = self.http.request(
                method, url, json=body, params=params, timeout=self.timeout_s
            )
        except requests.RequestException as exc:
            raise RemoteError(0, f"cannot reach {url}: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise RemoteError(response.status_code, f"{method} {url}: not a JSON answer")
        if response.status_code >= 400:
            details = [
                FieldError(str(d.get("path", "")), str(d.get("message", "")))
                for d in data.get("details") or []
                if isinstance(d, dict)
            ]
            message = str(data.get("error") or response.reason)
            raise RemoteError(response.status_code, message, details, data)
        return data


def _file_path(kind: str, name: str) -> str:
    return f"/files/{quote(kind, safe='')}/{quote(name, safe='')}"
