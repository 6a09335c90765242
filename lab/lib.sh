# Shared by lab/up, lab/down, lab/status and lab/hook. Sourced, not run.
# The lab: one sshd per simulated host on 127.0.0.1, slapd with the seed's directory, all
# under LAB_RUN_DIR (default lab/run) with ports from LAB_PORT_BASE.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$LAB_DIR")"
RUN="${LAB_RUN_DIR:-$LAB_DIR/run}"
mkdir -p "$RUN"
RUN="$(cd "$RUN" && pwd)"

# Host name, region, port offset. The bastion runs MQIPT.
LAB_HOSTS="wdc1-mq1 wdc2-mq1 wdc3-mq1 dal1-mq1 dal2-mq1 dal3-mq1 wdc-bastion"

# The port base is remembered so that down/status/hook find what up started.
if [ -f "$RUN/port_base" ]; then
  BASE="$(cat "$RUN/port_base")"
else
  BASE="${LAB_PORT_BASE:-42200}"
fi

host_offset() {
  local i=0 h
  for h in $LAB_HOSTS; do
    [ "$h" = "$1" ] && { echo "$i"; return 0; }
    i=$((i + 1))
  done
  echo "lab: no host named $1" >&2
  return 1
}
host_port() { echo $((BASE + $(host_offset "$1"))); }
LDAP_PORT=$((BASE + 10))
LDAPS_PORT=$((BASE + 11))
CONSOLE_PORT=$((BASE + 20))

# Files the SSH sessions read must be reachable by the lab user, even when the clone sits
# under a private home: they live in a root-owned directory outside the clone.
if [ "$(id -u)" = 0 ]; then
  LAB_USER=mqm
  NODE_DIR="/var/tmp/rdqm-lab-$(printf '%s' "$RUN" | sha1sum | cut -c1-12)"
else
  LAB_USER="$(id -un)"
  NODE_DIR="$RUN/node"
fi
STATE="$NODE_DIR/state/estate.json"
MQIPT_DIR="$NODE_DIR/hosts/wdc-bastion/opt/mqipt/installation1/mqipt/HAMQ"
MQIPT_CONF="$MQIPT_DIR/mqipt.conf"

# A process runs if it exists and is not a zombie (a container's PID 1 may never reap it).
proc_running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d')' -f2 "/proc/$1/stat" | cut -d' ' -f2)" != Z ]; }
pid_alive() { [ -f "$1" ] && proc_running "$(cat "$1")"; }

# Kills a process and everything it started (sshd's per-connection children and sessions).
kill_tree() {
  local pid="$1" child
  for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
    kill_tree "$child"
  done
  kill "$pid" 2>/dev/null || true
}

stop_pidfile() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if proc_running "$pid"; then
    kill_tree "$pid"
    for _ in $(seq 1 50); do proc_running "$pid" || break; sleep 0.05; done
    proc_running "$pid" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$file"
}

wait_port() {
  local port="$1" what="$2"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "lab: $what did not start listening on 127.0.0.1:$port" >&2
  return 1
}

start_sshd() {
  local host="$1" port
  port="$(host_port "$host")"
  pid_alive "$RUN/pids/sshd-$host.pid" && return 0
  mkdir -p /run/sshd 2>/dev/null || true
  /usr/sbin/sshd -f "$RUN/ssh/sshd-$host.conf" -E "$RUN/logs/sshd-$host.log"
  wait_port "$port" "sshd for $host"
}

stop_sshd() { stop_pidfile "$RUN/pids/sshd-$1.pid"; }
