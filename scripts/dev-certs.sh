#!/usr/bin/env bash
# Makes throwaway TLS material for a local cluster, with the JDK's keytool only:
#
#   scripts/dev-certs.sh DIR [NODES]
#
# DIR (which must not exist yet) gets a new certificate authority and, all signed by it, one
# certificate per node (node-1.p12 .. node-NODES.p12, default 3) and one for clients (client.p12):
#
#   ca.p12          the CA's key and certificate (keep it to sign more; nodes never read it)
#   ca.pem          the CA's certificate in PEM, for curl --cacert
#   truststore.p12  the CA's certificate alone: what every node and client trusts
#   node-N.p12      node N's key and certificate chain (SAN IP:127.0.0.1, DNS:localhost)
#   client.p12      a client's key and certificate chain (kv_client, curl, any HTTPS client)
#   password        the one password of every store above (mode 600)
#
# All stores are PKCS12, EC P-256 keys, valid for 30 days. kvstore --tls-dir DIR and kv_client
# --tls-dir DIR (or RAFTKV_TLS_DIR=DIR) use them. Each run makes a new CA: a second DIR is a
# foreign cluster whose certificates the first one refuses.
#
# Environment: RAFTKV_TLS_PASSWORD  the password to use (default: a random one)
#              JAVA_HOME            the JDK whose keytool to run (default: keytool on the PATH)
set -euo pipefail

usage() {
  echo "usage: $(basename "$0") DIR [NODES]" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
dir="$1"
nodes="${2:-3}"
[[ "$nodes" =~ ^[0-9]+$ ]] || usage
if [[ -e "$dir" ]]; then
  echo "$(basename "$0"): $dir already exists; not overwriting it (remove it or give another DIR)" >&2
  exit 1
fi
if [[ -n "${RAFTKV_TLS_PASSWORD:-}" && ${#RAFTKV_TLS_PASSWORD} -lt 6 ]]; then
  echo "$(basename "$0"): RAFTKV_TLS_PASSWORD must have at least 6 characters (keytool's rule)" >&2
  exit 1
fi
keytool="${JAVA_HOME:+$JAVA_HOME/bin/}keytool"
command -v "$keytool" >/dev/null || { echo "$(basename "$0"): no keytool (install a JDK or set JAVA_HOME)" >&2; exit 1; }

mkdir -p "$dir"
chmod 700 "$dir"
# A failure leaves DIR half made, and a second run refuses it: say so. (Not run by the subshells.)
trap 'status=$?; ((status == 0)) || echo "$(basename "$0"): $dir is incomplete: remove it before trying again" >&2' EXIT
password="${RAFTKV_TLS_PASSWORD:-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}"
(umask 077 && printf '%s\n' "$password" >"$dir/password")
# keytool reads the password from the environment: never on a command line (ps shows those).
export RAFTKV_DEV_CERTS_PASSWORD="$password"
pass=(-storepass:env RAFTKV_DEV_CERTS_PASSWORD)
validity=30
# Anything keytool says goes to a log (one per certificate made side by side, below); its end is
# shown only if a step fails.
log="$dir/.keytool.log"

# Each keytool is a short JVM: C1 only and the serial collector make it cost about 40% less CPU.
kt() {
  "$keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@" >>"$log" 2>&1 || { echo "$(basename "$0"): keytool $1 failed:" >&2; tail -n 1 "$log" >&2; exit 1; }
}

kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=raftkv dev CA $(date +%s)" \
  -ext bc:c -validity "$validity" -storetype PKCS12 -keystore "$dir/ca.p12" "${pass[@]}"
kt -exportcert -rfc -alias ca -keystore "$dir/ca.p12" "${pass[@]}" -file "$dir/ca.pem"
kt -importcert -noprompt -alias ca -file "$dir/ca.pem" -storetype PKCS12 \
  -keystore "$dir/truststore.p12" "${pass[@]}"

# cert NAME: NAME.p12 holding a new key and its certificate chain (NAME's, then the CA's).
cert() {
  local name="$1" store="$dir/$1.p12" log="$dir/.keytool-$1.log"
  kt -genkeypair -alias "$name" -keyalg EC -groupname secp256r1 -dname "CN=$name" \
    -validity "$validity" -storetype PKCS12 -keystore "$store" "${pass[@]}"
  kt -certreq -alias "$name" -keystore "$store" "${pass[@]}" -file "$dir/$name.csr"
  # Every certificate may serve and connect: a node is both (Artery dials its peers, and nodes
  # dial a client's address back to answer it).
  kt -gencert -alias ca -keystore "$dir/ca.p12" "${pass[@]}" -infile "$dir/$name.csr" \
    -outfile "$dir/$name.pem" -rfc -validity "$validity" -ext san=ip:127.0.0.1,dns:localhost \
    -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth,clientAuth
  cat "$dir/$name.pem" "$dir/ca.pem" >"$dir/$name.chain"
  kt -importcert -noprompt -alias "$name" -keystore "$store" "${pass[@]}" -file "$dir/$name.chain"
  rm -f "$dir/$name.csr" "$dir/$name.pem" "$dir/$name.chain"
}

# The certificates are independent: make them side by side (each keytool is a JVM start).
pids=()
for ((i = 1; i <= nodes; i++)); do
  cert "node-$i" &
  pids+=($!)
done
cert client &
pids+=($!)
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
((failed == 0)) || exit 1
rm -f "$dir"/.keytool*.log
echo "TLS material for $nodes node(s) and a client in $(cd "$dir" && pwd):"
(cd "$dir" && ls)
