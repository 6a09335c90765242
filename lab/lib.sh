# Shared by lab/up, lab/down, lab/status and lab/hook. Sourced, not run.
# The lab: one sshd per simulated host on 127.0.0.1, slapd with the seed's directory, all
# under LAB_RUN_DIR (default lab/run) with ports from LAB_PORT_BASE.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$LAB_DIR")"
RUN="${LAB_RUN_DIR:-$LAB_DIR/run}"
mkdir -p "$RUN"
RUN="$(cd "$RUN" && pwd)"

# LAB_SCALE: HA groups per region (1, the reference estate, by default; at most 30). Group g
# of a region has three nodes (wdc1-mq<g> … wdc3-mq<g>, dal1-mq<g> … dal3-mq<g>) and its own
# queue managers; remembered, as the port base is, so that down/status/hook find them all.
if [ -f "$RUN/scale" ]; then
  SCALE="$(cat "$RUN/scale")"
else
  SCALE="${LAB_SCALE:-1}"
fi
case "$SCALE" in
  [1-9]|[12][0-9]|30) ;;
  *) echo "lab: LAB_SCALE=$SCALE; a number of HA groups per region from 1 to 30" >&2; exit 1 ;;
esac

# Host name, region, port offset. The bastion runs MQIPT; the client host has the mq-rdqm
# samples (rdqmput/rdqmget) and reaches the queue managers through MQIPT, as in seed 000.
LAB_HOSTS="wdc1-mq1 wdc2-mq1 wdc3-mq1 dal1-mq1 dal2-mq1 dal3-mq1 wdc-bastion wdc-mq-client"
for g in $(seq 2 "$SCALE"); do
  LAB_HOSTS="$LAB_HOSTS wdc1-mq$g wdc2-mq$g wdc3-mq$g dal1-mq$g dal2-mq$g dal3-mq$g"
done
# The RDQM nodes (the hosts with /var/mqm, sudoers, tlshd).
is_node() { case "$1" in wdc-bastion|wdc-mq-client) return 1 ;; *) return 0 ;; esac; }
# The HA group of a node (wdc2-mq7 → 7).
host_group() { echo "${1##*-mq}"; }
# The queue managers of HA group G, as the simulator's reference::group_qmgrs names them:
# the reference's three in group 1; G<g>QM1-3 listening (and routed by MQIPT) on 1500+10·g+i.
group_qmgrs() {
  if [ "$1" = 1 ]; then echo "DRHAQM1 DRHAQM2 SSLDRHAQM1"; else echo "G$1QM1 G$1QM2 G$1QM3"; fi
}
group_qmgr_port() { local qm="$1"; local g="${qm#G}"; g="${g%%QM*}"; echo $((1500 + 10 * g + ${qm##*QM})); }

# The port base is remembered so that down/status/hook find what up started.
if [ -f "$RUN/port_base" ]; then
  BASE="$(cat "$RUN/port_base")"
else
  BASE="${LAB_PORT_BASE:-42200}"
fi

# The reference hosts take BASE..BASE+7; a scaled lab's further nodes BASE+32 on, one each
# (sim::ports::lab_blocks says how many blocks of 32 that is).
declare -A HOST_OFFSET=()
lab_host_index=0
for lab_host in $LAB_HOSTS; do
  if [ "$lab_host_index" -lt 8 ]; then
    HOST_OFFSET[$lab_host]=$lab_host_index
  else
    HOST_OFFSET[$lab_host]=$((32 + lab_host_index - 8))
  fi
  lab_host_index=$((lab_host_index + 1))
done
host_offset() {
  [ -n "${HOST_OFFSET[$1]:-}" ] || { echo "lab: no host named $1" >&2; return 1; }
  echo "${HOST_OFFSET[$1]}"
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

# Real paths: as root, each host's sshd runs in a mount namespace of its own where the host's
# files sit where a real host has them (/opt/mqipt on the bastion; /var/mqm, /etc/tlshd.conf and
# /etc/drbd.d on the nodes), bind-mounted from $NODE_DIR/hosts/HOST. Without root the paths keep
# that prefix. LAB_REAL_PATHS=0 turns them off.
if [ "$(id -u)" = 0 ] && [ "${LAB_REAL_PATHS:-1}" != 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  REAL_PATHS=1
else
  REAL_PATHS=0
fi
# Where HOST's absolute paths are, as its own sessions see them.
host_root() { [ "$REAL_PATHS" = 1 ] || echo "$NODE_DIR/hosts/$1"; }
# The real paths a host has: directories, then single files.
host_mount_dirs() {
  case "$1" in
    wdc-bastion) echo /opt/mqipt ;;
    wdc-mq-client) ;;
    *) echo /var/mqm /etc/drbd.d ;;
  esac
}
host_mount_files() {
  is_node "$1" || return 0
  echo /etc/tlshd.conf
  # The lab's own sudoers, where Debian's sudo is installed (the sudo-required knob).
  [ -e /etc/sudoers ] && echo /etc/sudoers
  return 0
}
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
  if [ "$REAL_PATHS" = 1 ]; then
    unshare --mount --propagation private -- /bin/sh -c "$(host_mounts "$host") exec /usr/sbin/sshd -f '$RUN/ssh/sshd-$host.conf' -E '$RUN/logs/sshd-$host.log'"
  else
    /usr/sbin/sshd -f "$RUN/ssh/sshd-$host.conf" -E "$RUN/logs/sshd-$host.log"
  fi
  # sshd forks before it binds, so a port in use is only in its log: wait for its pid file
  # (written once it listens), never trusting a port that something else may hold.
  for _ in $(seq 1 100); do
    pid_alive "$RUN/pids/sshd-$host.pid" && wait_port "$port" "sshd for $host" && return 0
    grep -q 'Cannot bind' "$RUN/logs/sshd-$host.log" 2>/dev/null && break
    sleep 0.05
  done
  echo "lab: sshd for $host did not start on 127.0.0.1:$port:" >&2
  tail -3 "$RUN/logs/sshd-$host.log" >&2 2>/dev/null || true
  return 1
}

stop_sshd() { stop_pidfile "$RUN/pids/sshd-$1.pid"; }

# The mounts of HOST's namespace, as shell commands. The mount points are made, empty, in the
# machine's own tree (a bind mount needs one); they are left there, as another lab may use them.
host_mounts() {
  local host="$1" path
  for path in $(host_mount_dirs "$host"); do
    mkdir -p "$path" "$NODE_DIR/hosts/$host$path"
    printf "mount --bind '%s' '%s' && " "$NODE_DIR/hosts/$host$path" "$path"
  done
  for path in $(host_mount_files "$host"); do
    [ -e "$path" ] || touch "$path"
    [ -e "$NODE_DIR/hosts/$host$path" ] || touch "$NODE_DIR/hosts/$host$path"
    printf "mount --bind '%s' '%s' && " "$NODE_DIR/hosts/$host$path" "$path"
  done
}

# `disk_full HOST on|off`: inside HOST's mount namespace, each of its real-path directories is
# covered by a tmpfs holding a copy of its files, then filled, so every write there fails with
# "No space left on device" from the kernel itself; `off` uncovers the untouched originals.
disk_full() {
  local host="$1" state="$2" pid dir
  if [ "$REAL_PATHS" != 1 ]; then
    echo "lab: disk-full needs the real paths of a lab run as root" >&2
    return 1
  fi
  pid="$(cat "$RUN/pids/sshd-$host.pid")"
  for dir in $(host_mount_dirs "$host"); do
    if [ "$state" = on ]; then
      nsenter -t "$pid" -m -- /bin/sh -ec "
        mountpoint -q '$dir' && [ \"\$(stat -f -c %T '$dir')\" = tmpfs ] && exit 0
        stage=\$(mktemp -d)
        cp -a '$dir/.' \"\$stage/\"
        mount -t tmpfs -o size=\$(( \$(du -sb \"\$stage\" | cut -f1) + 1048576 )),mode=\$(stat -c %a '$dir'),uid=\$(stat -c %u '$dir'),gid=\$(stat -c %g '$dir') lab-disk-full '$dir'
        cp -a \"\$stage/.\" '$dir/'
        rm -rf \"\$stage\"
        dd if=/dev/zero of='$dir/.lab-disk-full' bs=4096 2>/dev/null || true"
    else
      nsenter -t "$pid" -m -- /bin/sh -c "[ \"\$(stat -f -c %T '$dir')\" != tmpfs ] || umount '$dir'"
    fi
  done
}
