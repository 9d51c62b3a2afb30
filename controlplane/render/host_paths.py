"""Where lbctl's files, sockets and state live on an LB host: one list, shared by every renderer."""

from __future__ import annotations

ADMIN_SOCKET = "/run/haproxy/admin.sock"
SERVER_STATE_FILE = "/var/lib/haproxy/server-state"
NOTIFY_SCRIPT = "/usr/local/libexec/lbctl/vrrp-notify"
# Where the notify hook records each VRRP instance's state ("STATE epoch priority").
VRRP_STATE_DIR = "/run/lbctl/vrrp"
# keepalived deletes this file once it has read its config: the proof a reload happened.
KEEPALIVED_RELOAD_FILE = "/run/lbctl/keepalived.reload"
# One file per VRRP instance: "1" drains the host (planned switchover), "0" is normal.
SWITCHOVER_FILE_PREFIX = "/run/lbctl/switchover."
MONITOR_URI = "/healthz"
CHECK_SCRIPT_NAME = "chk_haproxy"
