# Shared by the scripts in scripts/: where the repository is, and the jar to run.
# Source it; it defines functions and $RAFTKV_ROOT, and runs nothing else.

RAFTKV_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
RAFTKV_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

raftkv_die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The newest target/raftkv-*-all.jar, or nothing.
raftkv_newest_jar() {
  local jar newest=""
  for jar in "$RAFTKV_ROOT"/target/raftkv-*-all.jar; do
    [[ -f "$jar" ]] || continue
    if [[ -z "$newest" || "$jar" -nt "$newest" ]]; then
      newest="$jar"
    fi
  done
  printf '%s' "$newest"
}

# True if the jar is missing or anything that goes into it is newer.
raftkv_jar_is_stale() {
  [[ -z "$1" ]] && return 0
  [[ -n "$(find "$RAFTKV_ROOT/src" "$RAFTKV_ROOT/pom.xml" \
    -newer "$1" -print -quit)" ]]
}

# Prints the path of a copy of the current jar under run/jars/, building it first if it is missing
# or stale (one build at a time, under a lock). Nodes and clients run from the copy, named by the
# jar's content: a jar rebuilt under a running JVM makes it fail later (classes load lazily).
# The build's output goes to stderr.
raftkv_jar() {
  local run_dir="$RAFTKV_ROOT/run/jars" jar stamp sha="" copy mvn_args
  mkdir -p "$run_dir"
  jar="$(raftkv_newest_jar)"
  if raftkv_jar_is_stale "$jar"; then
    exec 9>"$run_dir/.lock"
    flock 9
    jar="$(raftkv_newest_jar)"
    if raftkv_jar_is_stale "$jar"; then # nobody built it while we waited
      echo "$(basename "$0"): building the jar (mvn package)..." >&2
      read -r -a mvn_args <<< "${RAFTKV_MVN_ARGS:-}"
      # (Maven 3.8 writes color resets even in batch mode: strip them.)
      (cd "$RAFTKV_ROOT" && mvn -B -q "${mvn_args[@]}" package -DskipTests 2>&1) \
        | sed -e 's/\x1b\[[0-9;]*m//g' >&2 || raftkv_die "the build failed"
      jar="$(raftkv_newest_jar)"
      [[ -n "$jar" ]] || raftkv_die "the build made no target/raftkv-*-all.jar"
    fi
    flock -u 9
  fi
  # Hashing 60 MB on every run would cost more than a one-shot client saves elsewhere: the hash
  # is kept with the size and mtime it was computed for.
  stamp="$(stat -c '%s %Y' "$jar")"
  if [[ -f "$run_dir/sha" ]]; then
    local cached_path cached_size cached_mtime cached_sha
    read -r cached_path cached_size cached_mtime cached_sha <"$run_dir/sha" || true
    if [[ "${cached_path:-}" == "$jar" && "${cached_size:-} ${cached_mtime:-}" == "$stamp" ]]; then
      sha="$cached_sha"
    fi
  fi
  if [[ -z "$sha" ]]; then
    sha="$(sha256sum "$jar" | cut -c1-12)"
    echo "$jar $stamp $sha" >"$run_dir/sha.$$" && mv -f "$run_dir/sha.$$" "$run_dir/sha"
  fi
  copy="$run_dir/raftkv-$sha.jar"
  if [[ ! -f "$copy" ]]; then
    cp "$jar" "$copy.$$" && mv -f "$copy.$$" "$copy"
    raftkv_prune_jars
  fi
  printf '%s' "$copy"
}

# Deletes all but the 3 newest jar copies (and their class-data archives), sparing any copy a
# running process was started from.
raftkv_prune_jars() {
  local run_dir="$RAFTKV_ROOT/run" in_use old sha
  in_use="$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n' | grep -F "$run_dir/jars/raftkv-" || true)"
  while IFS= read -r old; do
    [[ -n "$old" ]] || continue
    grep -qxF "$old" <<<"$in_use" && continue
    sha="$(basename "$old" .jar)"
    rm -f "$old" "$run_dir/cds/$sha.jsa" "$run_dir/cds/$sha.jsa.failed"
  done < <(ls -t "$run_dir"/jars/raftkv-*.jar 2>/dev/null | tail -n +4)
}

# The cluster the scripts start: node N listens on 127.0.0.1:900N (RAFTKV_BASE_PORT + N), keeps
# its data in $RAFTKV_STATE/data/node-N, its log in $RAFTKV_STATE/logs/node-N.log and its PID in
# $RAFTKV_STATE/run/node-N.pid. RAFTKV_STATE defaults to the repository root.
RAFTKV_BASE_PORT="${RAFTKV_BASE_PORT:-9000}"
RAFTKV_NODES="${RAFTKV_NODES:-3}"
RAFTKV_STATE="$(mkdir -p "${RAFTKV_STATE:-$RAFTKV_ROOT}" && cd "${RAFTKV_STATE:-$RAFTKV_ROOT}" && pwd)"

raftkv_port() {
  echo $((RAFTKV_BASE_PORT + $1))
}

# Comma-separated ports of every node but $1.
raftkv_peers() {
  local i out=""
  for ((i = 1; i <= RAFTKV_NODES; i++)); do
    [[ $i == "$1" ]] && continue
    out+="${out:+,}$(raftkv_port "$i")"
  done
  printf '%s' "$out"
}

# Comma-separated ports of every node.
raftkv_all_ports() {
  local i out=""
  for ((i = 1; i <= RAFTKV_NODES; i++)); do
    out+="${out:+,}$(raftkv_port "$i")"
  done
  printf '%s' "$out"
}

raftkv_pid_file() {
  echo "$RAFTKV_STATE/run/node-$1.pid"
}

# The PID of node $1 if it is running (and is one of ours), else nothing.
raftkv_node_pid() {
  local f pid
  f="$(raftkv_pid_file "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
      && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--id $1 "; then
    printf '%s' "$pid"
  fi
}

# Milliseconds since the epoch.
raftkv_now_ms() {
  date +%s%3N
}

# raftkv_json_field NAME LINE: the first field NAME of a one-line JSON object (kv_client --json),
# a string or a number, without quotes.
raftkv_json_field() {
  sed -nE "s/.*\"$1\":\"?([^\",}]*)\"?.*/\1/p" <<<"$2" | head -n 1
}

# Milliseconds since the epoch of a node log's ISO 8601 time stamp (2026-12-02T17:05:00.123Z).
raftkv_log_ms() {
  date -d "$1" +%s%3N
}
