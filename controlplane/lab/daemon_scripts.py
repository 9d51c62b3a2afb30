"""The LB hosts' daemon control scripts: what systemctl reload/stop would do, without systemd.

They run *inside* a host (over SSH or nsenter), so /etc/haproxy, /etc/keepalived and /run are
the host's private copies. The hosts share one process table, so a pid only counts when it
lives in the caller's mount namespace (``alive``).
"""

from __future__ import annotations

import shlex
from pathlib import Path

HAPROXY_START = (
    "haproxy -W -D -p /run/haproxy.pid -S /run/haproxy-master.sock -f /etc/haproxy/haproxy.cfg"
)

KEEPALIVED_PID_FLAGS = (
    "--pid /run/keepalived/keepalived.pid --vrrp_pid /run/keepalived/vrrp.pid"
    " --checkers_pid /run/keepalived/checkers.pid"
)

_COMMON = """\
#!/bin/sh
# Written by the lbctl lab (controlplane/lab/daemon_scripts.py) for host {host}.
set -u

# Alive and ours: the LB hosts share one process table but each has its own mount namespace.
alive() {{
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
        [ "$(readlink "/proc/$1/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
}}

# stop_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {{
    kill -TERM "$1" 2>/dev/null
    i=0
    while alive "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$1"; then
        echo "$2 pid $1 ignored SIGTERM for 10 s, sending SIGKILL" >&2
        kill -KILL "$1" 2>/dev/null
    fi
}}
"""

HAPROXY_RELOAD = """
CFG=/etc/haproxy/haproxy.cfg
PIDFILE=/run/haproxy.pid
MASTER_SOCK=/run/haproxy-master.sock

# Current worker pids, from the master CLI ("# workers" section of "show proc").
workers() {{
    echo "show proc" | socat -t 2 - "UNIX-CONNECT:$MASTER_SOCK" 2>/dev/null |
        awk '/^# workers/ {{w = 1; next}} /^#/ {{w = 0}} w && $2 == "worker" {{print $1}}'
}}

if ! out=$(haproxy -c -f "$CFG" 2>&1); then
    echo "$out" >&2
    echo "haproxy-reload: $CFG failed 'haproxy -c'; nothing was reloaded" >&2
    exit 1
fi
mkdir -p /run/haproxy
pid=$(cat "$PIDFILE" 2>/dev/null || true)
if alive "$pid"; then
    before=" $(workers | tr '\\n' ' ') "
    kill -USR2 "$pid"
    # 2.6 reports no reload status: success is a worker that was not there before.
    i=0
    while [ $i -lt 100 ]; do
        for w in $(workers); do
            case "$before" in *" $w "*) ;; *) exit 0 ;; esac
        done
        sleep 0.1
        i=$((i + 1))
    done
    echo "haproxy-reload: no new worker 10 s after SIGUSR2 to master $pid" >&2
    exit 1
fi
if ! {start}; then
    echo "haproxy-reload: haproxy did not start" >&2
    exit 1
fi
"""

HAPROXY_STOP = """
pid=$(cat /run/haproxy.pid 2>/dev/null || true)
if alive "$pid"; then
    stop_pid "$pid" haproxy
fi
rm -f /run/haproxy.pid
"""

# keepalived 2.2.7 has no --log-file and closes stdout when it daemonizes: so it runs in the
# foreground (-n) under setsid -f, logging to the console (-l -D, no syslog: -G) into a file.
KEEPALIVED_RELOAD = """
CFG=/etc/keepalived/keepalived.conf
PIDFILE=/run/keepalived/keepalived.pid
LOG={log}

if [ ! -f "$CFG" ]; then
    echo "keepalived-reload: $CFG does not exist; nothing to start" >&2
    exit 1
fi
if ! out=$(keepalived -t -f "$CFG" 2>&1); then
    echo "$out" >&2
    echo "keepalived-reload: $CFG failed 'keepalived -t'; nothing was reloaded" >&2
    exit 1
fi
mkdir -p /run/keepalived
pid=$(cat "$PIDFILE" 2>/dev/null || true)
if alive "$pid"; then
    kill -HUP "$pid"
    exit 0
fi
setsid -f keepalived -n -l -D -G --use-file "$CFG" {pid_flags} >>"$LOG" 2>&1 </dev/null
i=0
while [ $i -lt 50 ]; do
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if alive "$pid"; then exit 0; fi
    sleep 0.1
    i=$((i + 1))
done
echo "keepalived-reload: keepalived did not start; see $LOG" >&2
exit 1
"""

KEEPALIVED_STOP = """
pid=$(cat /run/keepalived/keepalived.pid 2>/dev/null || true)
if alive "$pid"; then
    stop_pid "$pid" keepalived
fi
rm -f /run/keepalived/keepalived.pid
"""


def scripts(host: str, keepalived_log: Path) -> dict[str, str]:
    """Return the control scripts for ``host`` by file name."""
    common = _COMMON.format(host=host)
    log = shlex.quote(str(keepalived_log))
    return {
        "haproxy-reload": common + HAPROXY_RELOAD.format(start=HAPROXY_START),
        "haproxy-stop": common + HAPROXY_STOP,
        "keepalived-reload": common
        + KEEPALIVED_RELOAD.format(log=log, pid_flags=KEEPALIVED_PID_FLAGS),
        "keepalived-stop": common + KEEPALIVED_STOP,
    }
