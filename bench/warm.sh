#!/usr/bin/env bash
# What a long-lived process saves: the same model through the WAN proxy, fetched in turn by
# `run --every` (one JVM for all rounds, as the node-local DaemonSet runs it), by a cold
# model-prefetch process per run (as the container image runs it once) and by rclone at its
# defaults. Reads a workdir that bench/run.sh seeded (run it first with --keep).
#
#   bench/warm.sh [--workdir /tmp/model-prefetch-bench] [--model model-aws] [--runs 5]
#                 [--network wan[:LATENCY_MS:MBPS_PER_CONN]] [--period 60] [--port 18805]
#                 [--jdk NAME=JAVA_HOME]...   (JDK 24 or later: adds client cold-NAME) [--floors]
#
# every:  java @jvm.options -jar model-prefetch.jar run --every PERIODs --force-download (so each run
#         fetches the whole model again), started once; each round waits for its next run's end
#         line, then runs the other clients while it sleeps. Its first run (every-first) is a cold
#         one inside the process. CPU is what the process spent since the previous run ended (the
#         run and the idle wait before it, every thread: fetches, JIT compilers, GC), from
#         /proc/PID/stat; wall is the run's own, from its line; RSS is the process's at the run's end.
# cold:   java @jvm.options -jar model-prefetch.jar run, with the image's class-data-sharing archive
#         (recorded once here by a demo run, as the Dockerfile does); `every` maps it too
# rclone: rclone copy --transfers 4 --multi-thread-streams 4 (its defaults spelled out)
# cold-NAME: the cold run on that JDK with configs/jvm.options and an ahead-of-time cache (JEP 483
#         and 515: classes loaded and linked, method profiles) recorded once by a demo run
# --floors adds two clients that write nothing, with cold's options and archive (sha256 "-"):
# java-floor: bench/JavaFloor.java, the SDK's listing and a GET of each object over the JDK's HTTP
#         client on 16 threads, nothing written or verified: the least a JVM moving the bytes spends
# beam-floor: bench/BeamFloor.java, a DirectRunner job of ten integers through Create, ParDo,
#         GroupByKey, ParDo: the least a cold JVM spends to run any Beam pipeline
# The other clients alternate; every run's tree is checked by sha256; a round whose other runs
# outlast the period (so they would overlap the next `every` run) stops the benchmark. The summary
# gives medians; the `every` medians leave out its first run.
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$here/lib.sh"
workdir=/tmp/model-prefetch-bench model=model-aws runs=5 network=wan period=60 port=18805 floors=no
declare -a jdks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workdir) workdir="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --network) network="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --period) period="$2"; shift 2 ;;
    --jdk) jdks+=("$2"); shift 2 ;;
    --floors) floors=yes; shift ;;
    *) echo "bench/warm.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
IFS=: read -r kind latency mbps <<< "$network"
[ "$kind" = wan ] || { echo "bench/warm.sh: --network '$network' is not wan[:LATENCY_MS:MBPS_PER_CONN]" >&2; exit 2; }
latency="${latency:-20}" mbps="${mbps:-25}"
props="$workdir/s3proxy.properties" jar="$workdir/model-prefetch.jar"
for f in "$props" "$jar" "$workdir/$model.sha256"; do
  [ -f "$f" ] || { echo "bench/warm.sh: $f is missing: run bench/run.sh --workdir $workdir --keep first" >&2; exit 1; }
done
prop() { sed -n "s/^$1=//p" "$props"; }
key="$(prop s3proxy.identity)" secret="$(prop s3proxy.credential)"
warm="$workdir/warm" res="$workdir/results-warm" dest="$workdir/dest-warm"
rm -rf "$warm" "$res"; mkdir -p "$warm" "$res"
log() { echo "[warm $(date -u +%H:%M:%S)] $*" >&2; }
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

# wait_for FILE PATTERN PID WHAT: until FILE has a line matching PATTERN, while PID lives, 60 s at most.
wait_for() {
  local deadline=$(( $(date +%s) + 60 ))
  until grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { echo "bench/warm.sh: $4 exited; see $1" >&2; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench/warm.sh: $4 did not start within 60 s; see $1" >&2; exit 1; }
    sleep 0.1
  done
}

{ grep -v '^s3proxy.endpoint=' "$props"; echo "s3proxy.endpoint=http://127.0.0.1:$port"; } > "$warm/s3proxy.properties"
java -Xms256m -Xmx1g -jar "$workdir/s3proxy/"s3proxy-*-jar-with-dependencies.jar \
  --properties "$warm/s3proxy.properties" > "$warm/s3proxy.log" 2>&1 &
pids+=($!)
wait_for "$warm/s3proxy.log" "Started .*ServerConnector.*127.0.0.1:$port" "${pids[-1]}" S3Proxy
start_wan_proxy "$workdir/wanproxy" "$warm/wanproxy.log" "$((port + 1))" "$port" "$latency" "$mbps" 0 "$((port + 2))"
pids+=("$proxy_pid")
ep="http://127.0.0.1:$((port + 1))"
log "S3Proxy on 127.0.0.1:$port behind the WAN proxy on $ep ($latency ms, $mbps MB/s per connection)"

image_archive "$jar" "$warm" || { echo "bench/warm.sh: the demo run that records the archive failed" >&2; exit 1; }
declare -A jdk_home=()
for j in "${jdks[@]}"; do
  name="${j%%=*}" jdk_home["${j%%=*}"]="${j#*=}"
  log "recording the ahead-of-time cache of cold-$name with one demo run"
  "${j#*=}/bin/java" @"$root/configs/jvm.options" -XX:AOTCacheOutput="$warm/$name.aot" -jar "$jar" \
    demo --local-dir "$warm/training-$name/models" > "$warm/aot-$name.log" 2>&1 \
    || { echo "bench/warm.sh: the demo run of --jdk $j failed; see $warm/aot-$name.log" >&2; exit 1; }
  rm -rf "$warm/training-$name"
done
if [ "$floors" = yes ]; then
  javac -cp "$jar" -d "$warm/floors" "$here/JavaFloor.java" "$here/BeamFloor.java"
fi
penv=(env AWS_ENDPOINT_URL="$ep" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret"
  LC_ALL=C.UTF-8)
cli=(run --model-uri "s3://bench/$model/")

every_dest="$workdir/dest-every"
rm -rf "$every_dest"; mkdir -p "$every_dest"
"${penv[@]}" java @"$warm/jvm.options" -jar "$jar" "${cli[@]}" --local-dir "$every_dest" --force-download \
  --every "${period}s" --every-runs "$((runs + 1))" --progress-interval 0 > "$warm/every.out" 2> "$warm/every.log" &
every_pid=$!
pids+=("$every_pid")
every_cpu=0
every_run() { # ROUND: waits for the end of the long-lived process's run ROUND, then its row
  local round="$1" line wall cpu rss sha name=every
  until line="$(grep "^model-prefetch: run $round " "$warm/every.log")"; do
    kill -0 "$every_pid" 2>/dev/null || { echo "bench/warm.sh: run --every exited; see $warm/every.log" >&2; exit 1; }
    sleep 0.2
  done
  cpu="$(proc_cpu "$every_pid")"
  rss="$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$every_pid/status")"
  wall="$(sed -E 's/.* after ([0-9.]+) s.*/\1/' <<< "$line")"
  sha="$(dest="$every_dest" tree_ok)"
  [[ "$line" == *"ended with status 0"* ]] || sha=FAIL
  [ "$round" != 1 ] || name=every-first
  printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$name" "$round" "$wall" "$(echo "$cpu - $every_cpu" | bc)" "$rss" "$sha" \
    | tee -a "$res/runs.tsv"
  echo "run --every after run $round: $(awk '/^Threads:/ { print $2 }' "/proc/$every_pid/status") threads, VmRSS $rss MiB" \
    >> "$res/every-process.txt"
  every_cpu="$cpu"
  next="$(sed -nE 's/.*the next starts at ([0-9-]+ [0-9:]+) UTC.*/\1/p' <<< "$line")"
}

runs_header
rclone_for "$ep"
clients=(cold rclone)
for j in "${jdks[@]}"; do clients+=("cold-${j%%=*}"); done
[ "$floors" = no ] || clients+=(java-floor beam-floor)
for round in $(seq 1 "$runs"); do
  every_run "$round"
  for i in "${!clients[@]}"; do
    c="${clients[$(( (i + round) % ${#clients[@]} ))]}"
    case "$c" in
      cold) run_one cold "$round" "${penv[@]}" java @"$warm/jvm.options" -jar "$jar" "${cli[@]}" --local-dir "$dest" ;;
      java-floor) written=no run_one java-floor "$round" "${penv[@]}" java @"$warm/jvm.options" \
        -cp "$jar:$warm/floors" JavaFloor "$ep" bench "$model/" 16 ;;
      beam-floor) written=no run_one beam-floor "$round" java @"$warm/jvm.options" -cp "$jar:$warm/floors" BeamFloor ;;
      rclone) run_one rclone "$round" "${rclone[@]}" copy "bench:bench/$model" "$dest/$model" ;;
      cold-*) run_one "$c" "$round" "${penv[@]}" "${jdk_home[${c#cold-}]}/bin/java" @"$root/configs/jvm.options" \
        -XX:AOTCache="$warm/${c#cold-}.aot" -jar "$jar" "${cli[@]}" --local-dir "$dest" ;;
    esac
  done
  if [ -n "$next" ] && [ "$(date -u +%s)" -ge "$(date -u -d "$next UTC" +%s)" ]; then
    echo "bench/warm.sh: round $round's other runs outlasted --period $period (the next run --every started at $next UTC); give a longer --period" >&2
    exit 1
  fi
done
kill "$every_pid"  # asleep before a run no round waits for: alive until its last measured run is read
rm -rf "$dest" "$every_dest"
runs_summary
log "raw rows: $res/runs.tsv; summary: $res/summary.md"
