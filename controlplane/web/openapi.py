"""The OpenAPI 3.1 document of /api/v1; tests hold it to the routes and to real answers."""

from __future__ import annotations

import copy
import functools
from typing import Any

from .. import __version__
from ..model import LbModel
from ..model.secrets import SECRET_MASK
from ..store.tables import FILE_KINDS
from .db import MAX_STORED_INT

REF = "#/components/schemas/{model}"
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required is not None:
        schema["required"] = required
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
REVISION_NUMBER: Schema = nullable({"type": "integer", "minimum": 1, "maximum": MAX_STORED_INT})
# A host or VRRP instance name as keepalived's notify hook reports it.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


def _schemas() -> dict[str, Schema]:
    diff_report = obj(["changed", "files"], changed=BOOLEAN, files=array(ref("FileDiff")))
    revision = obj(
        ["number", "environment", "author", "message", "created_at", "hash", "parent"],
        number=INTEGER,
        environment=STRING,
        author=STRING,
        message=STRING,
        created_at=TIME,
        hash={"type": "string", "pattern": "^[0-9a-f]{64}$"},
        parent=REVISION_NUMBER,
    )
    return _model_schemas() | {
        "FieldError": obj(["path", "message"], path=STRING, message=STRING),
        "Error": obj(["error", "details"], error=STRING, details=array(ref("FieldError"))),
        "StaleRevisionError": {
            "allOf": [ref("Error"), obj(["current_revision"], current_revision=REVISION_NUMBER)]
        },
        "ModelRequest": obj(["model"], model=ref("LbModel")),
        "PlanRequest": {
            "oneOf": [
                {"allOf": [ref("ModelRequest"), {"not": {"required": ["revision"]}}]},
                obj(
                    ["revision"],
                    revision={"type": "integer", "minimum": 1, "maximum": MAX_STORED_INT}
                    | {
                        "description": "a saved revision to plan, validated by its save: "
                        "the document is neither sent nor validated again"
                    },
                )
                | {"not": {"required": ["model"]}},
            ]
        },
        "ServerChangeRequest": obj(
            [],
            state={"enum": ["enabled", "drain", "maint"]},
            weight={"type": "integer", "minimum": 0, "maximum": 256},
            base_revision=REVISION_NUMBER | {"description": "the revision the change started from"},
        )
        | {"anyOf": [{"required": ["state"]}, {"required": ["weight"]}]},
        "HostRuntimeResult": obj(
            ["host", "ok", "seconds", "error", "worker_pid"],
            host=STRING,
            ok=BOOLEAN,
            seconds={"type": "number", "description": "request to verified effect on the host"},
            error=STRING,
            worker_pid=STRING | {"description": "the HAProxy worker that applied it (no reload)"},
        ),
        "ServerChangeResult": obj(
            ["revision", "applied", "hosts"],
            revision=INTEGER,
            applied=BOOLEAN | {"description": "true when every host applied and verified it"},
            hosts=array(ref("HostRuntimeResult")),
        ),
        "PlannedChange": obj(
            ["host", "file", "what", "path"],
            host=STRING,
            file=STRING,
            what=STRING,
            path={"enum": ["runtime", "reload", "keepalived reload"]},
        ),
        "ModelResponse": obj(
            ["environment", "revision", "model"],
            environment=STRING,
            revision=REVISION_NUMBER,
            model={"anyOf": [ref("LbModel"), {"type": "object", "maxProperties": 0}]},
        ),
        "SaveRequest": obj(
            ["base_revision", "model"],
            base_revision=REVISION_NUMBER | {"description": "the revision the edit started from"},
            message=STRING,
            model=ref("LbModel"),
        ),
        "ImportRequest": obj(
            ["hosts"],
            hosts={
                "type": "object",
                "description": "per LB host name: its haproxy.cfg, keepalived.conf and the "
                "files its configs name, by absolute path on the host",
                "additionalProperties": obj(
                    ["haproxy.cfg"],
                    **{
                        "haproxy.cfg": STRING,
                        "keepalived.conf": STRING,
                        "files": {"type": "object", "additionalProperties": STRING},
                    },
                ),
            },
            save=BOOLEAN | {"description": "false: only the model and the report"},
            message=STRING,
            base_revision=REVISION_NUMBER,
        ),
        "ImportHostsRequest": obj(
            [],
            hosts=array(STRING | {"minLength": 1})
            | {
                "minItems": 1,
                "description": "some of the app's inventory hosts (default: all of them)",
            },
            save=BOOLEAN | {"description": "false: only the model and the report"},
            message=STRING,
            base_revision=REVISION_NUMBER,
        ),
        "ImportResponse": obj(
            ["exit_status", "counts", "report", "model_yaml", "revision"],
            exit_status={"enum": [0, 1], "description": "1: something dropped or changed"},
            counts={"type": "object", "additionalProperties": INTEGER},
            report=array(STRING),
            model_yaml=STRING,
            revision=REVISION_NUMBER | {"description": "the saved revision, null unless save"},
        ),
        "SaveResponse": obj(
            ["environment", "revision", "hash"],
            environment=STRING,
            revision=INTEGER,
            hash=STRING,
        ),
        "ValidationResult": obj(
            ["valid", "errors", "warnings"],
            valid=BOOLEAN,
            errors=array(ref("FieldError")),
            warnings=array(ref("FieldError")),
        ),
        "RenderResult": obj(
            ["revision", "hosts", "warnings"],
            revision=REVISION_NUMBER | {"description": "null when a model was posted"},
            hosts={
                "type": "object",
                "description": "host -> file name -> text (VRRP passwords masked)",
                "additionalProperties": {"type": "object", "additionalProperties": STRING},
            },
            warnings=array(ref("FieldError")),
        ),
        "FileDiff": obj(
            ["host", "file", "status", "lines"],
            host=STRING,
            file=STRING,
            status={"enum": ["unchanged", "changed", "added", "removed"]},
            lines=array(STRING) | {"description": "unified diff lines, secrets masked"},
        ),
        "DiffReport": diff_report,
        "DiffResponse": {
            "allOf": [
                diff_report,
                obj(
                    ["revision", "deployed_revision"],
                    revision=REVISION_NUMBER,
                    deployed_revision=REVISION_NUMBER,
                ),
            ]
        },
        "Plan": obj(
            [
                "valid",
                "warnings",
                "revision",
                "deployed_revision",
                "against_current",
                "against_deployed",
            ],
            valid={"const": True},
            warnings=array(ref("FieldError")),
            planned_revision=REVISION_NUMBER
            | {"description": "the saved revision planned; null for a posted model"},
            revision=REVISION_NUMBER | {"description": "the current revision"},
            deployed_revision=REVISION_NUMBER,
            against_current=ref("DiffReport"),
            against_deployed=ref("DiffReport"),
            changes=array(ref("PlannedChange"))
            | {
                "description": "each change against the deployed revision and how a deploy "
                "applies it: runtime API (no reload), reload, or keepalived reload"
            },
            proof=STRING
            | {
                "description": "how haproxy -c proved the candidate: 'proved by section: N "
                "sections' (a reduced file: the changed sections and what they name), "
                "'proved in full', or 'proved before' (the very files passed earlier)"
            },
        ),
        "RevisionSummary": revision,
        "RevisionList": obj(
            ["environment", "limit", "offset", "revisions"],
            environment=STRING,
            limit=INTEGER,
            offset=INTEGER,
            revisions=array(ref("RevisionSummary")),
        ),
        "Revision": {"allOf": [ref("RevisionSummary"), obj(["model"], model=ref("LbModel"))]},
        "DeployRequest": obj(revision=REVISION_NUMBER | {"description": "default: the newest"}),
        "DeployStarted": obj(["id", "url"], id=INTEGER, url=STRING),
        "HostResult": obj(
            ["host", "status"],
            host=STRING,
            status=STRING,
            seconds={"type": "number"},
            failed_step=STRING,
            error=STRING,
        ),
        "DeployEvent": obj(
            ["seq", "at", "host", "task", "kind", "message"],
            seq=INTEGER,
            at=TIME,
            host=STRING,
            task=STRING,
            kind=STRING,
            message=STRING,
        ),
        "Deployment": obj(
            [
                "id",
                "environment",
                "state",
                "revision",
                "requested_by",
                "created_at",
                "started_at",
                "finished_at",
                "hosts",
                "events",
            ],
            id=INTEGER,
            environment=STRING,
            state={"enum": ["queued", "running", "succeeded", "failed", "interrupted"]},
            revision=INTEGER,
            requested_by=STRING,
            created_at=TIME,
            started_at=nullable(TIME),
            finished_at=nullable(TIME),
            hosts=array(ref("HostResult")),
            events=array(ref("DeployEvent")),
        ),
        "HostStatus": obj(
            ["host", "reachable", "error"],
            host=STRING,
            reachable=BOOLEAN,
            error=STRING,
            haproxy_up=BOOLEAN,
            haproxy_pid=INTEGER,
            haproxy_version=STRING,
            haproxy_uptime_s=INTEGER,
            keepalived_up=BOOLEAN,
            vrrp=array({"type": "object"}),
            servers=array({"type": "object"}),
            addresses=array(STRING),
        ),
        "Finding": obj(
            ["severity", "subject", "message"],
            severity={"enum": ["critical", "warning"]},
            subject=STRING,
            message=STRING,
        ),
        "VrrpEvent": obj(
            ["host", "instance", "state"],
            host={"type": "string", "pattern": NAME_PATTERN},
            instance={"type": "string", "pattern": NAME_PATTERN},
            state={"enum": ["MASTER", "BACKUP", "FAULT", "STOP"]},
            priority={"type": "integer", "minimum": 0, "maximum": 255},
        ),
        "VrrpEventRecorded": obj(
            ["recorded", "alerted"],
            recorded={"const": True},
            alerted=BOOLEAN | {"description": "a state change was sent to the alert webhooks"},
        ),
        "StoredFile": obj(
            ["kind", "name", "content_sha256", "size", "uploaded_by", "uploaded_at"],
            kind={"enum": list(FILE_KINDS)},
            name=STRING,
            content_sha256=STRING | {"description": "sha256 of the stored text (its version)"},
            size=INTEGER,
            uploaded_by=STRING,
            uploaded_at=TIME,
            fingerprint_sha256=STRING
            | {"description": "certificates: the leaf's; CA bundles, CRLs: the DER's"},
            subject=STRING,
            sans=array(STRING),
            issuer=STRING,
            serial=STRING,
            not_before=TIME,
            not_after=TIME | {"description": "certificates: expiry; CRLs: next update"},
            days_left=INTEGER,
            key_type=STRING,
        )
        | {"description": "metadata only: never the text, never a private key"},
        "StoredFileList": obj(["files"], files=array(ref("StoredFile"))),
        "FileUpload": obj(
            ["content"],
            content=STRING
            | {"description": "the file's text: PEM leaf, chain, key for a certificate"},
        ),
        "FileUploaded": obj(
            ["file", "changed", "warnings", "revision"],
            file=ref("StoredFile"),
            changed=BOOLEAN | {"description": "false: this content was current already"},
            warnings=array(STRING),
            revision=REVISION_NUMBER
            | {"description": "the new revision using it, when the current model declares it"},
        ),
        "FileRemoved": obj(["removed"], removed=ref("StoredFile")),
        "Status": obj(
            ["hosts", "findings", "critical"],
            hosts=array(ref("HostStatus")),
            findings=array(ref("Finding")),
            critical=INTEGER,
        ),
    }


def _model_schemas() -> dict[str, Schema]:
    """Return the model file format's JSON Schema as components (LbModel and its parts).

    A VRRP password may also be the mask: answers carry it, and a document sent back
    with it keeps the stored password.
    """
    schema = LbModel.model_json_schema(ref_template=REF)
    found: dict[str, Schema] = schema.pop("$defs", {})
    found["LbModel"] = schema
    auth = found.get("VrrpAuthentication", {}).get("properties", {})
    if "password" in auth:
        auth["password"] = {"anyOf": [auth["password"], {"const": SECRET_MASK}]}
    return found


def _json(schema: Schema) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return {"description": description} | _json(ref(schema))


ERRORS = {
    400: "the body is not a JSON object of the documented shape",
    401: "no valid token (missing, unknown, revoked, or its user disabled)",
    403: "the token's role is below the one this needs",
    404: "no such object",
    409: "base_revision is not the newest revision; the answer names the newest",
    413: "the body is larger than 16 MiB (the model loader's own limit)",
    422: "the model is invalid (details name every field), a binary refused a file, "
    "or a field names something the model does not have",
    429: "this client made too many validate/render/plan/status calls; retry after "
    "the Retry-After header's seconds",
    503: "haproxy or keepalived is not installed on the control plane, or (files) "
    "LBCTL_FILES_KEY is unset or cannot decrypt a stored certificate",
}


def _operation(
    summary: str,
    role: str | None,
    ok: tuple[int, str, str],
    errors: tuple[int, ...] = (),
    body: str | None = None,
    body_required: bool = True,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status, description, schema = ok
    responses: dict[str, Any] = {str(status): {"description": description} | _json(ref(schema))}
    codes = ((401, 403) if role else ()) + errors + ((413,) if body else ())
    for code in sorted(set(codes)):
        name = "StaleRevisionError" if code == 409 else "Error"
        responses[str(code)] = _error(ERRORS[code], name)
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if role:
        operation["description"] = f"Needs a token with role {role} or above."
        operation["x-lbctl-role"] = role
    else:
        operation["security"] = []
    if body:
        operation["requestBody"] = {"required": body_required} | _json(ref(body))
    if parameters:
        operation["parameters"] = parameters
    return operation


def _path_int(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_STORED_INT},
    }


def _path_name(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": STRING,
    }


def _query_int(
    name: str, description: str, minimum: int = 0, maximum: int = MAX_STORED_INT
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


def _file_parameters() -> list[dict[str, Any]]:
    kinds = list(FILE_KINDS)
    return [
        {
            "name": "kind",
            "in": "path",
            "required": True,
            "description": "what the file is",
            "schema": {"enum": kinds},
        },
        _path_name("name", "its name in the model"),
    ]


def _paths() -> dict[str, Any]:
    v = "/api/v1"
    return {
        f"{v}/openapi.json": {
            "get": _operation("This document", None, (200, "OpenAPI 3.1", "OpenApiDocument"))
        },
        f"{v}/model": {
            "get": _operation(
                "The current revision's model, secrets masked",
                "viewer",
                (200, "the model", "ModelResponse"),
            ),
            "put": _operation(
                "Save a model as the new revision (nothing is written on any error)",
                "operator",
                (200, "the new revision", "SaveResponse"),
                (400, 409, 422),
                body="SaveRequest",
            ),
        },
        f"{v}/import": {
            "post": _operation(
                "Import an existing pair's haproxy.cfg and keepalived.conf (lbctl import): "
                "the model, the report, and with save the new revision",
                "operator",
                (200, "the import and its report", "ImportResponse"),
                (400, 409, 422, 429),
                body="ImportRequest",
            ),
        },
        f"{v}/import/hosts": {
            "post": _operation(
                "Import what the app's inventory hosts run, read over SSH with the files "
                "their configs name (lbctl import -i): the model, the report, and with save "
                "the new revision",
                "operator",
                (200, "the import and its report", "ImportResponse"),
                (400, 409, 422, 429),
                body="ImportHostsRequest",
                body_required=False,
            ),
        },
        f"{v}/model.yaml": {
            "get": {
                "summary": "The current revision's model in the CLI's YAML format, secrets "
                "masked (`lbctl validate` / `apply` take it as it is)",
                "description": "Needs a token with role viewer or above.",
                "x-lbctl-role": "viewer",
                "responses": {
                    "200": {
                        "description": "the model as YAML",
                        "content": {"application/yaml": {"schema": ref("LbModel")}},
                    },
                }
                | {str(code): _error(ERRORS[code], "Error") for code in (401, 403, 404)},
            }
        },
        f"{v}/validate": {
            "post": _operation(
                "Validate a model without saving it",
                "viewer",
                (200, "valid or not, with every error and warning", "ValidationResult"),
                (400, 429),
                body="ModelRequest",
            )
        },
        f"{v}/render": {
            "post": _operation(
                "Render a posted model (or, with no body, the current revision) per host, "
                "proven by haproxy -c and keepalived -t",
                "viewer",
                (200, "per-host files, VRRP passwords masked", "RenderResult"),
                (400, 404, 422, 429, 503),
                body="ModelRequest",
                body_required=False,
            )
        },
        f"{v}/diff": {
            "get": _operation(
                "Rendered diff of the current revision against the last deployed one",
                "viewer",
                (200, "per host and file, secrets masked", "DiffResponse"),
            )
        },
        f"{v}/plan": {
            "post": _operation(
                "Validate, render and prove a model, or a saved revision by its number; "
                "diff it against the current and the deployed revision",
                "viewer",
                (200, "the plan", "Plan"),
                (400, 404, 422, 429, 503),
                body="PlanRequest",
            )
        },
        f"{v}/pools/{{pool}}/servers/{{server}}": {
            "post": _operation(
                "Set a server's state and/or weight: saved as a new revision and applied "
                "through HAProxy's runtime API on every host serving the pool (no reload)",
                "operator",
                (200, "the new revision and each host's result", "ServerChangeResult"),
                (400, 404, 409, 422),
                body="ServerChangeRequest",
                parameters=[_path_name("pool", "pool name"), _path_name("server", "server name")],
            )
        },
        f"{v}/revisions": {
            "get": _operation(
                "Revisions, newest first",
                "viewer",
                (200, "a page of revisions", "RevisionList"),
                (400,),
                parameters=[
                    _query_int("limit", "page size (1-500, default 50)", 1, 500),
                    _query_int("offset", "revisions to skip (default 0)"),
                ],
            )
        },
        f"{v}/revisions/{{number}}": {
            "get": _operation(
                "One revision with its model, secrets masked",
                "viewer",
                (200, "the revision", "Revision"),
                (404,),
                parameters=[_path_int("number", "revision number")],
            )
        },
        f"{v}/deployments": {
            "post": _operation(
                "Start deploying a revision (default: the newest) in the background",
                "operator",
                (202, "started; follow it at `url`", "DeployStarted"),
                (400, 404),
                body="DeployRequest",
                body_required=False,
            )
        },
        f"{v}/deployments/{{deployment_id}}": {
            "get": _operation(
                "A deployment, its per-host results and its events",
                "viewer",
                (200, "the deployment", "Deployment"),
                (400, 404),
                parameters=[
                    _path_int("deployment_id", "deployment id"),
                    _query_int("after", "only events with seq above this (a stream cursor)"),
                ],
            )
        },
        f"{v}/events/vrrp": {
            "post": _operation(
                "Report a VRRP transition (keepalived's notify hook calls this); it is "
                "recorded in the audit log and alerted at once",
                "operator",
                (202, "recorded", "VrrpEventRecorded"),
                (400, 422),
                body="VrrpEvent",
            )
        },
        f"{v}/files": {
            "get": _operation(
                "Stored files (certificates, CA bundles, CRLs, maps, error pages): metadata",
                "viewer",
                (200, "the current version of each, by kind and name", "StoredFileList"),
                (400,),
                parameters=[
                    {
                        "name": "kind",
                        "in": "query",
                        "required": False,
                        "description": "only this kind",
                        "schema": {"enum": list(FILE_KINDS)},
                    }
                ],
            )
        },
        f"{v}/files/{{kind}}/{{name}}": {
            "get": _operation(
                "One stored file's metadata",
                "viewer",
                (200, "its current version", "StoredFile"),
                (400, 404),
                parameters=_file_parameters(),
            ),
            "put": _operation(
                "Upload a file (refused, naming the problem, when HAProxy could not use it); "
                "when the current model declares it, a new revision uses it",
                "admin",
                (201, "stored (200 when this content was current already)", "FileUploaded"),
                (400, 422, 503),
                body="FileUpload",
                parameters=_file_parameters(),
            ),
            "delete": _operation(
                "Remove a file the current model does not use (revisions that used it keep it)",
                "admin",
                (200, "removed", "FileRemoved"),
                (400, 404, 422),
                parameters=_file_parameters(),
            ),
        },
        f"{v}/status": {
            "get": _operation(
                "Live state of the hosts; unreachable hosts are findings, still 200",
                "viewer",
                (200, "hosts, findings and the count of critical ones", "Status"),
                (429,),
            )
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lbctl control plane API",
            "version": __version__,
            "description": "HAProxy + Keepalived model, revisions and deployments. Errors are "
            "always {error, details[{path, message}]}.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `lbctl token create` (lbctl_...)",
                }
            },
            "schemas": _schemas() | {"OpenApiDocument": {"type": "object"}},
        },
    }


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of /api/v1 (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
