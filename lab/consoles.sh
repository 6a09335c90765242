# The console's HA layout (LAB_CONSOLES=2): three etcd members (wdc, dal, witness) and a
# console per region sharing them. Sourced by lab/up, lab/down and lab/hook after lib.sh.
# Ports: the WDC console keeps CONSOLE_PORT (LAB_CONSOLE_URL), the DAL console BASE+21, the
# members BASE+22..27 (client, peer).
# TLS everywhere: the members' client and peer URLs are https and ask for a client certificate
# from the lab's CA (--client-cert-auth, --peer-client-cert-auth); each console has its own
# client certificate, operators' etcdctl another (LAB_ETCD_CA, LAB_ETCD_CERT, LAB_ETCD_KEY).
# The files are copied from the lab's PKI (lab/certs.sh) into $RUN/etcd-tls by lab/up.

ETCD_MEMBERS="wdc dal witness"
DAL_CONSOLE_PORT=$((BASE + 21))
ETCD_TLS="$RUN/etcd-tls"

etcd_index() { case "$1" in wdc) echo 0 ;; dal) echo 1 ;; witness) echo 2 ;; *) echo "lab: no etcd member $1" >&2; return 1 ;; esac; }
etcd_client_port() { echo $((BASE + 22 + 2 * $(etcd_index "$1"))); }
etcd_peer_port() { echo $((BASE + 23 + 2 * $(etcd_index "$1"))); }
etcd_endpoints() {
  local m out=""
  for m in $ETCD_MEMBERS; do out="$out${out:+,}https://127.0.0.1:$(etcd_client_port "$m")"; done
  echo "$out"
}

# The TLS files from the lab's PKI (lab/up, after make_lab_certs): keys readable by root only.
etcd_tls_files() {
  mkdir -p "$ETCD_TLS"
  chmod 700 "$ETCD_TLS"
  cp "$PKI/ca/ca.pem" "$ETCD_TLS/ca.pem"
  local name
  for name in etcd-member etcd-console-wdc etcd-console-dal etcd-operator; do
    cp "$PKI/certs/$name.pem" "$ETCD_TLS/${name#etcd-}.pem"
    install -m 600 "$PKI/certs/$name.key" "$ETCD_TLS/${name#etcd-}.key"
  done
}

# etcdctl as an operator reaches the members (CA, client certificate).
lab_etcdctl() {
  ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --cacert "$ETCD_TLS/ca.pem" \
    --cert "$ETCD_TLS/operator.pem" --key "$ETCD_TLS/operator.key" "$@"
}
console_port() { case "$1" in WDC) echo "$CONSOLE_PORT" ;; DAL) echo "$DAL_CONSOLE_PORT" ;; *) echo "lab: no console for region $1" >&2; return 1 ;; esac; }

# Starts a process in the background, detached from this script, its pid in a pid file.
spawn_daemon() {
  local pidfile="$1" log="$2"
  shift 2
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! > "$pidfile"
}

start_etcd() {
  local m="$1" cluster="" n state=existing
  pid_alive "$RUN/pids/etcd-$m.pid" && return 0
  for n in $ETCD_MEMBERS; do cluster="$cluster${cluster:+,}$n=https://127.0.0.1:$(etcd_peer_port "$n")"; done
  [ -d "$RUN/etcd/$m.etcd" ] || state=new
  mkdir -p "$RUN/etcd"
  # Short raft timeouts on loopback: a lost member is noticed in half a second.
  spawn_daemon "$RUN/pids/etcd-$m.pid" "$RUN/logs/etcd-$m.log" etcd --name "$m" --data-dir "$RUN/etcd/$m.etcd" \
    --listen-client-urls "https://127.0.0.1:$(etcd_client_port "$m")" --advertise-client-urls "https://127.0.0.1:$(etcd_client_port "$m")" \
    --listen-peer-urls "https://127.0.0.1:$(etcd_peer_port "$m")" --initial-advertise-peer-urls "https://127.0.0.1:$(etcd_peer_port "$m")" \
    --initial-cluster "$cluster" --initial-cluster-token rdqm-lab --initial-cluster-state "$state" \
    --client-cert-auth --trusted-ca-file "$ETCD_TLS/ca.pem" --cert-file "$ETCD_TLS/member.pem" --key-file "$ETCD_TLS/member.key" \
    --peer-client-cert-auth --peer-trusted-ca-file "$ETCD_TLS/ca.pem" --peer-cert-file "$ETCD_TLS/member.pem" --peer-key-file "$ETCD_TLS/member.key" \
    --heartbeat-interval 50 --election-timeout 500 --auto-compaction-mode revision --auto-compaction-retention 10000
}

stop_etcd() { stop_pidfile "$RUN/pids/etcd-$1.pid"; }

# A region lost: the process dies at once (SIGKILL), whatever it was doing.
kill_pidfile() {
  local file="$1"
  [ -f "$file" ] || return 0
  kill -9 "$(cat "$file")" 2>/dev/null || true
  for _ in $(seq 1 100); do proc_running "$(cat "$file")" || break; sleep 0.05; done
  rm -f "$file"
}

# A region's console: the lab's console.toml with its own port, name and the shared store.
write_console_config() {
  local region="$1" lower
  lower="$(echo "$1" | tr 'A-Z' 'a-z')"
  awk -v port="$(console_port "$region")" -v name="$lower" -v url="http://127.0.0.1:$(console_port "$region")" -v eps="$(etcd_endpoints)" -v tls="$ETCD_TLS" -v run="$RUN" '
    /^listen = / { print "listen = \"127.0.0.1:" port "\""; next }
    /^\[store\]/ { print; in_store = 1
      n = split(eps, e, ",")
      list = ""; for (i = 1; i <= n; i++) list = list (i > 1 ? ", " : "") "\"" e[i] "\""
      print "kind = \"etcd\""
      print "instance = \"" name "\""
      print "url = \"" url "\""
      print "endpoints = [" list "]"
      print "prefix = \"/rdqm-lab/\""
      print "lease_ttl_secs = 6"
      print "ca_file = \"" tls "/ca.pem\""
      print "cert_file = \"" tls "/console-" name ".pem\""
      print "key_file = \"" tls "/console-" name ".key\""
      print "audit_spool = \"" run "/console-" name ".audit-spool\""
      next }
    in_store && /^path = / { next }
    /^\[/ { in_store = 0 }
    { print }' "$RUN/console.toml" > "$RUN/console-$lower.toml"
}

console_bin() {
  local bin="${RDQM_CONSOLE_BIN:-${CARGO_TARGET_DIR:-$REPO_DIR/target}/debug/rdqm-console}"
  if [ ! -x "$bin" ]; then
    (cd "$REPO_DIR" && cargo build --quiet -p rdqm-console --bin rdqm-console)
  fi
  echo "$bin"
}

start_console() {
  local region="$1" lower
  lower="$(echo "$1" | tr 'A-Z' 'a-z')"
  pid_alive "$RUN/pids/console-$lower.pid" && return 0
  spawn_daemon "$RUN/pids/console-$lower.pid" "$RUN/logs/console-$lower.log" "$(console_bin)" serve --config "$RUN/console-$lower.toml"
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$(console_port "$region")") 2>/dev/null && return 0
    pid_alive "$RUN/pids/console-$lower.pid" || break
    sleep 0.05
  done
  echo "lab: the $region console did not start; see $RUN/logs/console-$lower.log:" >&2
  tail -5 "$RUN/logs/console-$lower.log" >&2
  return 1
}

stop_console() { stop_pidfile "$RUN/pids/console-$(echo "$1" | tr 'A-Z' 'a-z').pid"; }

consoles_up() {
  command -v etcd >/dev/null || { echo "lab/up: etcd is missing; run ./setup first" >&2; exit 1; }
  local m
  etcd_tls_files
  for m in $ETCD_MEMBERS; do start_etcd "$m"; done
  for _ in $(seq 1 300); do
    lab_etcdctl --command-timeout=1s endpoint health >/dev/null 2>&1 && break
    sleep 0.1
  done
  write_console_config WDC
  write_console_config DAL
  start_console WDC
  start_console DAL
}

consoles_down() {
  local m
  stop_console WDC
  stop_console DAL
  for m in $ETCD_MEMBERS; do stop_etcd "$m"; done
}
