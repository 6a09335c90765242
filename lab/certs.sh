# Sourced by lab/up after lib.sh: real X.509 certificates for the lab (OpenSSL), laid out where
# the seed keeps them, plus deliberately flawed ones the console must flag:
#   - wdc-mq-client (trusted by MQIPT's server keystore) expires in 5 days
#   - oldpartner (trusted by SSLDRHAQM1's key repository) expired
#   - legacyclient (trusted by SSLDRHAQM1's key repository) has a 1024-bit key
#   - dal3-mq1's replication certificate lacks the host name (CN and SAN)
#   - dal2-mq1's replication certificate is signed by another CA ("Rogue CA")
# Key repositories (.kdb, .pfx) are JSON manifests naming PEM files (and the private keys of
# personal certificates): the simulator's runmqakm/mqiptKeycmd read and write them the way GSKit
# reads and writes its databases, and the queue managers and MQIPT load them (at start, at
# REFRESH SECURITY TYPE(SSL), at mqiptAdmin -refresh) to decide the TLS channels and the client
# connections through MQIPT. The client host wdc-mq-client has the seed's client key repository,
# mq_cloud_keys.kdb (LAB_CLIENT_KEYR is its stem), for amqssslc. The lab's CA certificate and key
# are given to the lab's users (LAB_CA_CERT, LAB_CA_KEY) to sign the requests runmqakm -certreq
# makes. Generated once; `lab/down --purge` forgets them.

# Keys and certificates are made once a day and shared by the labs started that day (tests
# start many); each lab then lays out its own copies.
PKI="${LAB_PKI_CACHE:-/var/tmp/rdqm-lab-pki.$(id -u).$(date -u +%Y%m%d)}"

stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

ca_setup() {
  local dir="$PKI/$1" name="$2"
  mkdir -p "$dir/newcerts"
  : > "$dir/index.txt"
  echo 1000 > "$dir/serial"
  cat > "$dir/ca.cnf" <<CNF
[ ca ]
default_ca = lab
[ lab ]
dir = $dir
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = any
unique_subject = no
preserve = yes
copy_extensions = copy
[ any ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
stateOrProvinceName = optional
CNF
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -subj "/C=US/O=IBM/CN=$name" -days 3650 2>/dev/null
}

# issue CA NAME SUBJECT START END BITS [SAN]: writes $PKI/certs/NAME.{key,pem} unless made already
issue() {
  local ca="$PKI/$1" name="$2" subject="$3" start="$4" end="$5" bits="$6" san="${7:-}"
  local out="$PKI/certs/$name"
  [ -s "$out.pem" ] && return 0
  mkdir -p "$PKI/certs"
  local ext=()
  [ -n "$san" ] && ext=(-addext "subjectAltName=$san")
  if [ -s "$out.key" ]; then
    # A key made beforehand (node keys are made in parallel, see make_pki).
    openssl req -new -key "$out.key" -out "$out.csr" -subj "$subject" "${ext[@]}" 2>/dev/null
  else
    openssl req -newkey "rsa:$bits" -nodes -keyout "$out.key" -out "$out.csr" -subj "$subject" "${ext[@]}" 2>/dev/null
  fi
  openssl ca -batch -config "$ca/ca.cnf" -cert "$ca/ca.pem" -keyfile "$ca/ca.key" -in "$out.csr" -out "$out.pem" \
    -startdate "$(stamp "$start")" -enddate "$(stamp "$end")" -notext >/dev/null 2>&1
  rm -f "$out.csr"
}

# keystore FILE KIND ENTRY...: ENTRY is label:certname:personal|trusted[:default]
keystore() {
  local file="$1" kind="$2"
  shift 2
  local dir
  dir="$(dirname "$file")"
  local certs="$(basename "$file").certs"
  mkdir -p "$dir/$certs"
  local first=1
  {
    printf '{"kind":"%s","stashed":true,"entries":[' "$kind"
    for entry in "$@"; do
      IFS=: read -r label cert role default <<<"$entry"
      cp "$PKI/certs/$cert.pem" "$dir/$certs/$label.pem"
      [ $first = 1 ] || printf ','
      first=0
      local key=""
      if [ "$role" = personal ] && [ -s "$PKI/certs/$cert.key" ]; then
        install -m 600 "$PKI/certs/$cert.key" "$dir/$certs/$label.key"
        key="$(printf ',"key":"%s/%s.key"' "$certs" "$label")"
      fi
      printf '{"label":"%s","certificate":"%s/%s.pem","personal":%s,"default":%s%s}' \
        "$label" "$certs" "$label" "$([ "$role" = personal ] && echo true || echo false)" "$([ "${default:-}" = default ] && echo true || echo false)" "$key"
    done
    printf ']}\n'
  } > "$file"
}

# Every step is skipped when its result exists, so a PKI made earlier the same day only gains
# the certificates added since; "done.N" marks the set of this version (bump N when adding).
make_pki() {
  mkdir -p "$PKI"
  exec 9>"$PKI.lock"
  flock 9
  # A scaled lab (LAB_SCALE) may need replication certificates an earlier lab did not.
  local host missing=()
  for host in $LAB_HOSTS; do
    is_node "$host" && [ ! -s "$PKI/certs/$host.pem" ] && missing+=("$host")
  done
  if [ -f "$PKI/done.4" ] && [ "${#missing[@]}" = 0 ]; then
    flock -u 9
    return 0
  fi
  # The nodes' RSA keys, the slow part, on every core at once.
  mkdir -p "$PKI/certs"
  for host in "${missing[@]}"; do
    [ -s "$PKI/certs/$host.key" ] || echo "$host"
  done | xargs -r -P "$(nproc)" -I{} openssl genrsa -out "$PKI/certs/{}.key" 2048 2>/dev/null
  [ -s "$PKI/ca/ca.pem" ] || ca_setup ca "Lab Root CA"
  [ -s "$PKI/rogue/ca.pem" ] || ca_setup rogue "Rogue CA"
  mkdir -p "$PKI/certs"
  cp "$PKI/ca/ca.pem" "$PKI/certs/labca.pem"
  cp "$PKI/rogue/ca.pem" "$PKI/certs/rogueca.pem"
  local good_start="-30 days" good_end="+730 days"
  issue ca ssldrhaqm1 "/C=US/ST=MA/O=IBM/OU=SSL For MQ/CN=SSLDRHAQM1" "$good_start" "$good_end" 2048
  issue ca drhaqm2 "/C=US/ST=MA/O=IBM/OU=SSL For MQ/CN=DRHAQM2" "$good_start" "$good_end" 2048
  issue ca mqiptserver "/C=US/OU=IBM/CN=mqipt-server" "$good_start" "$good_end" 2048
  issue ca mqiptclient "/C=US/OU=IBM/CN=mqipt-client" "$good_start" "$good_end" 2048
  issue ca wdc-mq-client "/C=US/OU=IBM/CN=wdc-mq-client" "-360 days" "+5 days" 2048
  issue ca oldpartner "/C=US/O=IBM/CN=oldpartner" "-800 days" "-35 days" 2048
  issue ca legacyclient "/C=US/O=IBM/CN=legacyclient" "$good_start" "$good_end" 1024
  # The directory's certificate, for LDAPS and StartTLS (clients connect to 127.0.0.1).
  issue ca directory "/O=IBM/CN=localhost" "$good_start" "$good_end" 2048 "IP:127.0.0.1,DNS:localhost"
  # etcd for the consoles' HA layout (LAB_CONSOLES=2): one certificate for the three members
  # (server and peer, on 127.0.0.1), a client certificate per console and one for operators'
  # etcdctl (LAB_ETCD_CERT).
  issue ca etcd-member "/O=IBM/CN=etcd member" "$good_start" "$good_end" 2048 "IP:127.0.0.1,DNS:localhost"
  issue ca etcd-console-wdc "/O=IBM/CN=rdqm-console wdc" "$good_start" "$good_end" 2048 "DNS:rdqm-console-wdc"
  issue ca etcd-console-dal "/O=IBM/CN=rdqm-console dal" "$good_start" "$good_end" 2048 "DNS:rdqm-console-dal"
  issue ca etcd-operator "/O=IBM/CN=etcd operator" "$good_start" "$good_end" 2048 "DNS:etcd-operator"
  for host in $LAB_HOSTS; do
    case "$host" in
      wdc-bastion|wdc-mq-client) ;;
      dal3-mq1) issue ca "$host" "/CN=replication-node-3" "$good_start" "$good_end" 2048 ;;
      dal2-mq1) issue rogue "$host" "/CN=$host" "$good_start" "$good_end" 2048 "DNS:$host" ;;
      *) issue ca "$host" "/CN=$host" "$good_start" "$good_end" 2048 "DNS:$host" ;;
    esac
  done
  touch "$PKI/done.4"
  flock -u 9
}

make_lab_certs() {
  make_pki
  for host in $LAB_HOSTS; do
    is_node "$host" || continue
    local etc="$NODE_DIR/hosts/$host/etc"
    mkdir -p "$etc/drbd.d"
    cp "$PKI/ca/ca.pem" "$etc/drbd.d/lab_root_ca.crt"
    cp "$PKI/certs/$host.pem" "$etc/drbd.d/$host.crt"
    cp "$PKI/certs/$host.key" "$etc/drbd.d/$host.key"
    chmod 600 "$etc/drbd.d/$host.key"
    # The files as the host sees them (its real /etc with real paths).
    local seen
    seen="$(host_root "$host")/etc"
    cat > "$etc/tlshd.conf" <<CONF
[debug]
loglevel=0
tls=0
nl=0

[authenticate]
#keyrings= <keyring>;<keyring>;<keyring>

[authenticate.client]
x509.truststore=$seen/drbd.d/lab_root_ca.crt
x509.certificate=$seen/drbd.d/$host.crt
x509.private_key=$seen/drbd.d/$host.key

[authenticate.server]
x509.truststore=$seen/drbd.d/lab_root_ca.crt
x509.certificate=$seen/drbd.d/$host.crt
x509.private_key=$seen/drbd.d/$host.key
CONF
    # The key repositories live on the volumes of the reference queue managers: on the nodes of
    # HA group 1 only.
    [ "$(host_group "$host")" = 1 ] || continue
    keystore "$NODE_DIR/hosts/$host/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb" cms \
      "ssldrhaqm1certlabel:ssldrhaqm1:personal:default" "Lab Root CA:labca:trusted" "mqiptclient:mqiptclient:trusted" \
      "oldpartner:oldpartner:trusted" "legacyclient:legacyclient:trusted"
    keystore "$NODE_DIR/hosts/$host/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile.kdb" cms \
      "drhaqm2certlabel:drhaqm2:personal:default" "Lab Root CA:labca:trusted"
  done
  local keys="$MQIPT_DIR/keys"
  keystore "$keys/mq-ipt-server.pfx" pkcs12 "mqiptserver:mqiptserver:personal:default" "wdc-mq-client:wdc-mq-client:trusted" "Lab Root CA:labca:trusted"
  keystore "$keys/mq-ipt-client.pfx" pkcs12 "mqiptclient:mqiptclient:personal:default" "Lab Root CA:labca:trusted"
  # The seed's client key repository (its ~/keys/mq_cloud_keys): the client's personal
  # certificate, and MQIPT's server certificate and the lab's CA trusted. The client host has no
  # real paths of its own, so it lives in the lab's directory of that host (LAB_CLIENT_KEYR).
  keystore "$(client_keyr).kdb" cms "wdc-mq-client:wdc-mq-client:personal:default" "Lab Root CA:labca:trusted" "mqiptserver:mqiptserver:trusted"
  : > "$(client_keyr).sth"
  # A queue manager's data directory, where its error log (errors/AMQERR01.LOG) is, is on its
  # replicated volume; /var/mqm/qmgrs/<QM> leads there, as on an RDQM node (the queue managers
  # of the node's HA group).
  for host in $LAB_HOSTS; do
    is_node "$host" || continue
    mkdir -p "$NODE_DIR/hosts/$host/var/mqm/qmgrs"
    for qm in $(group_qmgrs "$(host_group "$host")"); do
      local dir
      dir="$(echo "$qm" | tr 'A-Z' 'a-z')"
      mkdir -p "$NODE_DIR/hosts/$host/var/mqm/vols/$dir/qmgr/$dir/errors"
      ln -sfn "../vols/$dir/qmgr/$dir" "$NODE_DIR/hosts/$host/var/mqm/qmgrs/$qm"
    done
  done
  # The lab's CA, for its users to sign certificate requests with.
  mkdir -p "$RUN/ca"
  cp "$PKI/ca/ca.pem" "$RUN/ca/labca.pem"
  install -m 600 "$PKI/ca/ca.key" "$RUN/ca/labca.key"
}

# The stem of the client's key repository on wdc-mq-client (LAB_CLIENT_KEYR).
client_keyr() { echo "$NODE_DIR/hosts/wdc-mq-client/keys/mq_cloud_keys"; }
