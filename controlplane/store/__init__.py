"""The versioned model store: revisions, deployments, audit log, users and API tokens.

SQLite in the instance folder by default; $LBCTL_DATABASE_URL selects PostgreSQL so
several control-plane replicas can share one store. Every function takes a Session and
flushes but never commits: the caller (a web request, a CLI command) owns the transaction.
"""

from .audit import list_audit_entries, record_audit
from .db import database_url, make_engine, session_factory, upgrade
from .deployments import (
    append_event,
    create_deployment,
    finish_deployment,
    get_deployment,
    last_successful,
    list_deployments,
    list_events,
    mark_interrupted,
    start_deployment,
)
from .errors import (
    InvalidName,
    InvalidTransition,
    NotFound,
    PasswordTooShort,
    RoleTooHigh,
    StaleRevision,
    StoreError,
    StoreLocked,
    UserDisabled,
    UserExists,
)
from .locks import deploy_lock
from .revisions import (
    current_revision,
    diff_revisions,
    export_yaml,
    get_revision,
    import_yaml,
    list_environments,
    list_revisions,
    revision_model,
    rollback_to,
    save_revision,
)
from .tables import ApiToken, AuditEntry, Deployment, DeploymentEvent, Revision, User
from .tokens import authenticate_token, create_token, list_tokens, revoke_token
from .users import (
    Role,
    create_user,
    disable_user,
    enable_user,
    get_user,
    list_users,
    role_allows,
    set_password,
    set_role,
    verify_login,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Deployment",
    "DeploymentEvent",
    "InvalidName",
    "InvalidTransition",
    "NotFound",
    "PasswordTooShort",
    "Revision",
    "Role",
    "RoleTooHigh",
    "StaleRevision",
    "StoreError",
    "StoreLocked",
    "User",
    "UserDisabled",
    "UserExists",
    "append_event",
    "authenticate_token",
    "create_deployment",
    "create_token",
    "create_user",
    "current_revision",
    "database_url",
    "deploy_lock",
    "diff_revisions",
    "disable_user",
    "enable_user",
    "export_yaml",
    "finish_deployment",
    "get_deployment",
    "get_revision",
    "get_user",
    "import_yaml",
    "last_successful",
    "list_audit_entries",
    "list_deployments",
    "list_environments",
    "list_events",
    "list_revisions",
    "list_tokens",
    "list_users",
    "make_engine",
    "mark_interrupted",
    "record_audit",
    "revision_model",
    "revoke_token",
    "role_allows",
    "rollback_to",
    "save_revision",
    "session_factory",
    "set_password",
    "set_role",
    "start_deployment",
    "upgrade",
    "verify_login",
]
