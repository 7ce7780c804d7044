#!/usr/bin/env bash
# Side-by-side download benchmark: model-prefetch against rclone, the aws CLI, s3cmd and curl, all
# reading the same generated model from a local S3Proxy 4.1.0 (filesystem backend) on 127.0.0.1,
# directly (loopback) or through a WAN-like shaping proxy (bench/WanProxy.java).
#
#   bench/run.sh [--size 8G] [--runs 3] [--clients prefetch,prefetch-size,rclone,rclone-nocheck,curl]
#                [--network loopback|wan[:LATENCY_MS:MBPS_PER_CONN[:RPS]]]...   (or a comma list)
#                [--wan-clients prefetch,prefetch-image,prefetch-jar,rclone,aws,s3cmd] [--upload curl|aws]
#                [--small-files 2000] [--rerun-runs 3] [--profile] [--port 18765]
#                [--workdir /tmp/model-prefetch-bench] [--keep]
#                [--variant "NAME=extra model-prefetch args"]...   (adds client prefetch+NAME)
#                [--quiet-wait 30]   (wait up to 30 s before each run for a second with < 25% CPU busy)
#                [--small-runs N] [--summary-only]   (re-print the summary of <workdir>/results)
#                [--timeout 900]   (a client run is stopped after this many seconds; exit 124)
#                [--baseline-jar FILE]   (adds client prefetch-base: the launcher running FILE, defaults)
#
# Every timed run starts from an empty destination and is checked by sha256 against the source
# afterwards (outside the timing). Clients run in rotating order per round; the summary reports
# medians. Before a model's first round every object is read once from S3Proxy, untimed (the first
# read after S3Proxy starts cost it 25 CPU-s at 8 GiB, against 4-5 later, in whichever client's run).
# Raw rows: <workdir>/results/runs.tsv; summary: <workdir>/results/summary.md.
# Each --network profile runs every case (model, rerun, small files) in turn; the default is loopback.
#
# Clients (--clients on loopback, --wan-clients on WAN profiles; variants join both):
#   prefetch       ./prefetch run (the launcher, snapshotted jar), defaults
#   prefetch-image java @jvm.options -jar model-prefetch.jar run with a class-data-sharing archive, as
#                  the container image and the Kubernetes examples run it (the archive recorded once,
#                  untimed, by a demo run, as the Dockerfile does)
#   prefetch-opts  java @configs/jvm.options -jar model-prefetch.jar run: the same without the archive
#   prefetch-jar   java -jar model-prefetch.jar run, no launcher and no JVM flags at all
#   prefetch-size  the launcher with --verify size
#   prefetch-base  the launcher running --baseline-jar (an older build), defaults: a regression check
#                  in the same run, alternating, against the same rclone rows
#   rclone         rclone copy, defaults (--transfers 4 --multi-thread-streams 4 spelled out)
#   rclone-nocheck the same with --ignore-checksum
#   aws            aws s3 cp --recursive --only-show-errors, defaults (10 requests at once, 8 MiB ranges)
#   s3cmd          s3cmd get --recursive --no-progress, defaults (one object, one stream at a time)
#   curl           one curl per object, all at once; no listing, no verification
# The small-files case runs prefetch, rclone and java-floor (bench/JavaFloor.java: an SDK listing and
# JDK GETs, nothing written or verified, the floor of any JVM client), plus aws, s3cmd and
# prefetch-image, prefetch-opts and prefetch-jar when the profile's client list has them.
#
# WAN profiles: `wan` is 20 ms / 25 MB/s; `wan:20:25:10` adds a limit of 10 requests/s. The proxy
# listens on 127.0.0.1:PORT+1 (control PORT+2) and forwards to S3Proxy; it holds each response's
# first byte until LATENCY_MS after the request head arrived, caps each client connection's response
# bodies at MBPS_PER_CONN (10^6 bytes/s), and above RPS answers 503 SlowDown. It does not model packet
# loss, TCP slow start per round trip, connect cost, shared bottlenecks or jitter. The table gains
# the requests, client connections at once, requests in flight at once and 503s each run met, counted
# by the proxy. WAN profiles read `model-aws/`, uploaded with `aws s3 cp` at its defaults (8 MiB
# multipart parts, CRC32, ETags `...-N`): 4 equal shards (1 GiB shards above 4G) and six json and
# tokenizer files. Loopback reads `model/` (curl uploads: one 64 MiB-part multipart shard, the others
# single PUTs) unless `--upload aws`; `--upload curl` makes WAN profiles read `model/` too.
#   bench/run.sh --size 2G --runs 3 --network loopback,wan --clients prefetch,rclone \
#     --rerun-runs 0 --small-files 0                                  # loopback and 20 ms / 25 MB/s
#   bench/run.sh --size 2G --runs 1 --network wan:20:25:10 --wan-clients prefetch,rclone,aws \
#     --variant 'part8m=--part-size 8MiB --part-threshold 8MiB' --small-files 2000  # throttling
# (model-prefetch aligns ranges to a multipart object's 8 MiB upload parts: a smaller --part-size
# still makes 8 MiB ranges on model-aws/). java-floor does not retry: RPS profiles leave it out.
# Needs: java 17, mvn, curl, rclone, openssl, GNU time (/usr/bin/time), sha256sum; aws and s3cmd for
# those clients and for --upload aws. On Debian: apt-get install -y rclone curl time openssl awscli s3cmd
set -eu  # no pipefail: pipelines end in head, and each client exit status is checked explicitly

# ---------------------------------------------------------------- curl helper (internal subcommand)
# run.sh __curl_fetch ENDPOINT BUCKET PREFIX DEST KEY... : one curl stream per key, all in parallel;
# DEST - reads the objects and keeps nothing.
if [ "${1:-}" = "__curl_fetch" ]; then
  shift
  ep="$1" bucket="$2" prefix="$3" dest="$4"
  shift 4
  pids=()
  for key in "$@"; do
    out=/dev/null
    if [ "$dest" != - ]; then out="$dest/$key"; mkdir -p "$(dirname "$out")"; fi
    curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$BENCH_KEY:$BENCH_SECRET" \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "$out" "$ep/$bucket/$prefix$key" &
    pids+=("$!")
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  exit "$rc"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$here/lib.sh"

size="8G"
runs=3
clients="prefetch,prefetch-size,rclone,rclone-nocheck,curl"
small_files=2000
rerun_runs=3
profile=0
port=18765
workdir="${TMPDIR:-/tmp}/model-prefetch-bench"
keep=0
client_timeout=900
summary_only=0
small_runs=""
quiet_wait=0
declare -A variants=()
networks=()
wan_clients="prefetch,prefetch-jar,rclone,aws,s3cmd"
upload=""   # empty: loopback reads model/ (curl uploads), WAN profiles read model-aws/ (aws s3 cp)
baseline_jar_src=""   # --baseline-jar: an older build to run as client prefetch-base
# model-prefetch runs through its launcher (./prefetch: heap and direct-memory limits, GC, class-data
# sharing), on the snapshotted jar; PREFETCH_JAVA_OPTS adds JVM flags after the launcher's.
prefetch_java_opts="${PREFETCH_JAVA_OPTS:-}"

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --small-files) small_files="$2"; shift 2 ;;
    --rerun-runs) rerun_runs="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    --port) port="$2"; shift 2 ;;
    --workdir) workdir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --timeout) client_timeout="$2"; shift 2 ;;
    --summary-only) summary_only=1; shift ;;
    --small-runs) small_runs="$2"; shift 2 ;;
    --quiet-wait) quiet_wait="$2"; shift 2 ;;
    --variant) variants["${2%%=*}"]="${2#*=}"; shift 2 ;;
    --network) IFS=, read -r -a more <<< "$2"; networks+=("${more[@]}"); shift 2 ;;
    --wan-clients) wan_clients="$2"; shift 2 ;;
    --upload) upload="$2"; shift 2 ;;
    --baseline-jar) baseline_jar_src="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for v in "${!variants[@]}"; do clients="$clients,prefetch+$v"; wan_clients="$wan_clients,prefetch+$v"; done
[ -z "$baseline_jar_src" ] || { clients="$clients,prefetch-base"; wan_clients="$wan_clients,prefetch-base"; }
[ "${#networks[@]}" -gt 0 ] || networks=(loopback)
case "$upload" in ''|curl|aws) ;; *) echo "bench: --upload must be curl or aws, was '$upload'" >&2; exit 2 ;; esac

# parse_network NAME: sets net_label, net_latency_ms, net_mbps, net_rps (net_label loopback: no proxy).
parse_network() {
  local -a p
  IFS=: read -r -a p <<< "$1"
  net_latency_ms=0 net_mbps=0 net_rps=0
  case "${p[0]}:${#p[@]}" in
    loopback:1) net_label=loopback; return ;;
    wan:1) net_latency_ms=20 net_mbps=25 ;;
    wan:3|wan:4) net_latency_ms="${p[1]}" net_mbps="${p[2]}" net_rps="${p[3]:-0}" ;;
    *) echo "bench: --network must be loopback, wan, wan:LATENCY_MS:MBPS_PER_CONN or wan:LATENCY_MS:MBPS_PER_CONN:RPS, was '$1'" >&2; exit 2 ;;
  esac
  if ! [[ "$net_latency_ms" =~ ^[0-9]+$ && "$net_mbps" =~ ^[1-9][0-9]*$ && "$net_rps" =~ ^[0-9]+$ ]]; then
    echo "bench: --network '$1' needs whole numbers: latency in ms >= 0, MB/s per connection >= 1, requests/s >= 0 (0: no limit)" >&2; exit 2
  fi
  net_label="wan-${net_latency_ms}ms-${net_mbps}MBps"
  [ "$net_rps" = 0 ] || net_label+="-${net_rps}rps"
}
for n in "${networks[@]}"; do parse_network "$n"; done
# model_prefix NETWORK_LABEL: the seeded model a profile reads.
model_prefix() {
  local how="$upload"
  [ -n "$how" ] || { [ "$1" = loopback ] && how=curl || how=aws; }
  [ "$how" = aws ] && echo model-aws || echo model
}

to_mib() {
  local v="${1^^}"
  case "$v" in
    *G|*GIB) echo $(( ${v%%G*} * 1024 )) ;;
    *M|*MIB) echo $(( ${v%%M*} )) ;;
    *) echo "bench: --size must look like 8G or 512M, was '$1'" >&2; exit 2 ;;
  esac
}
size_mib="$(to_mib "$size")"
[ "$size_mib" -ge 64 ] || { echo "bench: --size must be at least 64M, was '$size'" >&2; exit 2; }

needs=(java mvn curl rclone openssl sha256sum /usr/bin/time)
for n in "${networks[@]}"; do
  parse_network "$n"
  [ "$(model_prefix "$net_label")" = model-aws ] && needs+=(aws)
  if [ "$net_label" = loopback ]; then list="$clients"; else list="$wan_clients"; fi
  [[ ",$list," == *",aws,"* ]] && needs+=(aws)
  [[ ",$list," == *",s3cmd,"* ]] && needs+=(s3cmd)
done
if [ "$summary_only" = 0 ]; then
  for tool in "${needs[@]}"; do
    command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (Debian: apt-get install -y rclone curl time openssl awscli s3cmd)" >&2; exit 2; }
  done
fi

bucket=bench
key=benchkey
secret=benchsecret
export BENCH_KEY="$key" BENCH_SECRET="$secret"
ep="http://127.0.0.1:$port"    # S3Proxy itself
proxy_port=$(( port + 1 )) control_port=$(( port + 2 ))
cep="$ep"                       # what the clients of the current profile talk to
data="$workdir/data"            # S3Proxy basedir; objects live in $data/$bucket/<key>
stage="$workdir/stage"
dest="$workdir/dest"
res="$workdir/results"
mkdir -p "$workdir" "$data/$bucket" "$stage" "$res"
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- summary (from results/runs.tsv only)
# runs.tsv columns: 1 case, 2 client, 3 round, 4 wall_s, 5 rss_kib, 6 user_s, 7 sys_s, 8 exit,
# 9 verified, 10 gets, 11 server_cpu_s, 12 load1, 13 bytes, 14 started, 15 other_cpu_s, 16 network,
# 17 requests, 18 conns_max, 19 inflight_max, 20 slowdown_503, 21 proxy_bytes_out, 22 proxy_cpu_s,
# 23 server_requests. Rows of older harnesses end at 15 and count as network loopback.
col() { awk -F'\t' -v n="$1" -v l="$2" -v c="$3" 'NR>1 && ($16==""?"loopback":$16)==n && $1==l && $2==c {print '"$4"'}' "$res/runs.tsv"; }
okcol() { awk -F'\t' -v n="$1" -v l="$2" -v c="$3" 'NR>1 && ($16==""?"loopback":$16)==n && $1==l && $2==c && $8==0 && ($9=="ok" || $9=="n/a") {print '"$4"'}' "$res/runs.tsv"; }
has() { [ -n "$(col "$1" "$2" "$3" '$4')" ]; }
# failed_note NETWORK CASE CLIENT: " (N of M runs failed)" when some did (exit != 0 or a tree that
# did not verify); the ratios are over the successful runs only (n/a when there are none).
failed_note() { awk -F'\t' -v n="$1" -v l="$2" -v c="$3" 'NR>1 && ($16==""?"loopback":$16)==n && $1==l && $2==c {k++; if ($8!=0 || ($9!="ok" && $9!="n/a")) f++} END{if (f) printf " (%d of %d runs failed)", f, k}' "$res/runs.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a+0>0 && b+0>0) printf "%.2f", a/b; else print "n/a"}'; }
# best_peer NETWORK CASE: "WALL CLIENT" of the faster of rclone and the aws CLI (by median wall of
# their successful runs), or "- -".
best_peer() {
  local w best="-" who="-" c
  for c in rclone aws; do
    w="$(okcol "$1" "$2" "$c" '$4' | median)"
    if [ "$w" != "-" ] && { [ "$best" = "-" ] || awk -v a="$w" -v b="$best" 'BEGIN{exit !(a<b)}'; }; then best="$w" who="$c"; fi
  done
  echo "$best $who"
}
summarize() {
  local tsv="$res/runs.tsv" n l c nr bad failed wall bytes mbs rss cpu gets reqs conns infl slow scpu pcpu loads other m pf rc rn ps bw bc line cr
  {
    echo "## Results $(date -u +%FT%TZ) — $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
    echo
    echo "model-prefetch.jar sha256 $(cat "$res/jar-id.txt" 2>/dev/null); S3Proxy 4.1.0 (filesystem-nio2) on 127.0.0.1; source objects in page cache; \`sync\` before every run; sha256 of every file checked after every run. Medians over runs; MB/s = bytes / median wall. Network wan-Lms-MMBps[-Rrps]: through bench/WanProxy.java (first byte L ms after the request, M MB/s per connection, R requests/s); requests, connections and requests in flight at once and 503s are the proxy's counts; on loopback requests are S3Proxy's."
    echo
    echo "| network | case | client | runs | sha256 | median wall s | MB/s | median peak RSS MiB | median CPU s (user+sys) | median GETs | median requests | median conns at once | median in flight at once | median 503s | median S3Proxy CPU s | median proxy CPU s | median other CPU s | load1 at start |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    awk -F'\t' 'NR>1 {print ($16==""?"loopback":$16)"\t"$1"\t"$2}' "$tsv" | awk '!seen[$0]++' | while IFS=$'\t' read -r n l c; do
      nr="$(col "$n" "$l" "$c" '$4' | wc -l)"
      bad="$(col "$n" "$l" "$c" '$9' | grep -vc -e ok -e n/a || true)"
      failed="$(col "$n" "$l" "$c" '$8' | grep -vc '^0$' || true)"
      wall="$(col "$n" "$l" "$c" '$4' | median)"
      bytes="$(col "$n" "$l" "$c" '$13' | median)"
      mbs="$(awk -v b="$bytes" -v w="$wall" -v l="$l" 'BEGIN{if (w>0 && b>0 && l!="rerun") printf (b/1e6/w < 10 ? "%.2f" : "%.0f"), b/1e6/w; else print "-"}')"
      rss="$(col "$n" "$l" "$c" '$5/1024' | median)"
      cpu="$(col "$n" "$l" "$c" '$6+$7' | median)"
      gets="$(col "$n" "$l" "$c" '$10' | median)"
      reqs="$(col "$n" "$l" "$c" '($17==""?"-":$17)' | median)"
      conns="$(col "$n" "$l" "$c" '($18==""?"-":$18)' | median)"
      infl="$(col "$n" "$l" "$c" '($19==""?"-":$19)' | median)"
      slow="$(col "$n" "$l" "$c" '($20==""?"-":$20)' | median)"
      scpu="$(col "$n" "$l" "$c" '$11' | median)"
      pcpu="$(col "$n" "$l" "$c" '($22==""?"-":$22)' | median)"
      loads="$(col "$n" "$l" "$c" '$12' | paste -sd/ -)"
      other="$(col "$n" "$l" "$c" '$15' | median)"
      printf '| %s | %s | %s | %s | %s | %s | %s | %.0f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$l" "$c" "$nr" \
        "$([ "$bad" = 0 ] && echo ok || echo "$bad FAILED")$([ "$failed" = 0 ] || echo ", $failed exit!=0 (124 = timeout)")" "$wall" "$mbs" "$rss" "$cpu" "$gets" "$reqs" "$conns" "$infl" "$slow" "$scpu" "$pcpu" "$other" "$loads"
    done
    echo
    for n in $(awk -F'\t' 'NR>1 {print ($16==""?"loopback":$16)}' "$tsv" | awk '!seen[$0]++'); do
      for m in $(awk -F'\t' -v n="$n" 'NR>1 && ($16==""?"loopback":$16)==n && $1 ~ /^model-/ {print $1}' "$tsv" | sort -u); do
        pf="$(col "$n" "$m" prefetch '$4' | median)"; rc="$(col "$n" "$m" rclone '$4' | median)"; rn="$(col "$n" "$m" rclone-nocheck '$4' | median)"
        ps="$(col "$n" "$m" prefetch-size '$4' | median)"
        if [ "$n" = loopback ]; then
          echo "- $m: model-prefetch / rclone (verified) = $(ratio "$pf" "$rc")  (target <= 0.95)"
          if [ "$ps" != "-" ]; then
            echo "- $m: model-prefetch --verify size / rclone --ignore-checksum = $(ratio "$ps" "$rn")  (target <= 1.00)"
          elif [ "${prefetch_has_verify:-1}" = 1 ]; then
            echo "- $m: model-prefetch --verify size / rclone --ignore-checksum: n/a, client prefetch-size was not run"
          else
            echo "- $m: model-prefetch --verify size / rclone --ignore-checksum: n/a, this build has no --verify option; default model-prefetch / rclone --ignore-checksum = $(ratio "$pf" "$rn")"
          fi
          echo "- $m: model-prefetch peak RSS max over runs $(col "$n" "$m" prefetch '$5/1024' | sort -g | tail -1 | awk '{printf "%.0f", $1}') MiB  (target <= 512 MiB)"
        fi
        read -r bw bc <<< "$(best_peer "$n" "$m")"
        for c in $(awk -F'\t' -v n="$n" -v m="$m" 'NR>1 && ($16==""?"loopback":$16)==n && $1==m && $2 ~ /^prefetch/ {print $2}' "$tsv" | awk '!seen[$0]++'); do
          echo "- $n $m: $c / the faster of rclone and the aws CLI ($([ "$bc" = - ] && echo "neither ran successfully" || echo "$bc, $bw s")) = $(ratio "$(okcol "$n" "$m" "$c" '$4' | median)" "$bw")$(failed_note "$n" "$m" "$c")"
        done
        line=""
        for c in $(awk -F'\t' -v n="$n" -v m="$m" 'NR>1 && ($16==""?"loopback":$16)==n && $1==m && $2!="rclone" {print $2}' "$tsv" | awk '!seen[$0]++'); do
          line+="${line:+, }$c $(ratio "$(okcol "$n" "$m" "$c" '$6+$7' | median)" "$(okcol "$n" "$m" rclone '$6+$7' | median)")$(failed_note "$n" "$m" "$c")"
        done
        has "$n" "$m" rclone && echo "- $n $m: CPU s (user+sys) / rclone's: $line"
      done
      if awk -F'\t' -v n="$n" 'NR>1 && ($16==""?"loopback":$16)==n && $1=="rerun" {f=1} END{exit !f}' "$tsv"; then
        echo "- $n rerun: median $(col "$n" rerun prefetch '$4' | median) s vs JVM start-up (java -jar model-prefetch.jar --version) $(col "$n" rerun jvm-start '$4' | median) s  (target: <= 2 s beyond start-up); model-object GETs per rerun: $(col "$n" rerun prefetch '$10' | paste -sd, -); report totals.bytesFetched: $(for f in "$res"/report-"$([ "$n" = loopback ] || echo "$n-")"rerun-prefetch-*.json; do [ -f "$f" ] || continue; tr -d ' \n' < "$f" | grep -o '"totals":{[^}]*}' | grep -o '"bytesFetched":[0-9]*' | cut -d: -f2; done | paste -sd, -)"
      fi
      for m in $(awk -F'\t' -v n="$n" 'NR>1 && ($16==""?"loopback":$16)==n && $1 ~ /^small-/ {print $1}' "$tsv" | sort -u); do
        [ "$n" = loopback ] && echo "- $m: model-prefetch / rclone = $(ratio "$(col "$n" "$m" prefetch '$4' | median)" "$(col "$n" "$m" rclone '$4' | median)")  (target <= 1.00)"
        if has "$n" "$m" java-floor; then
          echo "- $n $m: java-floor (SDK listing + JDK GETs, nothing written or verified) / rclone = $(ratio "$(col "$n" "$m" java-floor '$4' | median)" "$(col "$n" "$m" rclone '$4' | median)")"
        fi
        read -r bw bc <<< "$(best_peer "$n" "$m")"
        for c in $(awk -F'\t' -v n="$n" -v m="$m" 'NR>1 && ($16==""?"loopback":$16)==n && $1==m && $2 ~ /^prefetch/ {print $2}' "$tsv" | awk '!seen[$0]++'); do
          echo "- $n $m: $c / the faster of rclone and the aws CLI ($([ "$bc" = - ] && echo "neither ran successfully" || echo "$bc, $bw s")) = $(ratio "$(okcol "$n" "$m" "$c" '$4' | median)" "$bw"); CPU s / rclone's = $(ratio "$(okcol "$n" "$m" "$c" '$6+$7' | median)" "$(okcol "$n" "$m" rclone '$6+$7' | median)")$(failed_note "$n" "$m" "$c")"
        done
      done
      if [ "$n" != loopback ]; then
        # The proxy's own check: what it forwarded is what S3Proxy saw, and the bytes it relayed.
        cr="$(awk -F'\t' -v n="$n" 'NR>1 && $16==n && $23!="" {k++; if ($17-$20!=$23) bad++} END{printf "%d of %d runs", bad+0, k+0}' "$tsv")"
        echo "- $n: proxy check: runs where forwarded requests (requests - 503s) != S3Proxy's request count: $cr; response body bytes through the proxy (listings included) / bytes of the tree (min-max over the runs that fetch a tree): $(awk -F'\t' -v n="$n" 'NR>1 && $16==n && $13>0 && $1!="rerun" {r=$21/$13; if (!k++ || r<lo) lo=r; if (k==1 || r>hi) hi=r} END{if (k) printf "%.3f-%.3f", lo, hi; else print "-"}' "$tsv"); proxy CPU s per GB relayed in the model case: $(awk -F'\t' -v n="$n" 'NR>1 && $16==n && $1 ~ /^model-/ && $21>0 {c+=$22; b+=$21} END{if (b) printf "%.2f", c/(b/1e9); else print "-"}' "$tsv")"
      fi
    done
  } > "$res/summary.md"
  cat "$res/summary.md"
}
if [ "$summary_only" = 1 ]; then summarize; exit 0; fi

# ---------------------------------------------------------------- jars
jar_src="$root/runners/target/model-prefetch.jar"
if [ ! -f "$jar_src" ]; then
  log "building $jar_src"
  (cd "$root" && { mvn -B -q -o -DskipTests package || mvn -B -q -DskipTests package; }) >&2
fi
# Snapshot the jar: a rebuild during the benchmark must not change what is measured.
jar="$workdir/model-prefetch.jar"
cp "$jar_src" "$jar"
echo "$(sha256sum "$jar" | cut -c1-12), built $(date -u -r "$jar_src" +%FT%TZ)" > "$res/jar-id.txt"
if [ -n "$baseline_jar_src" ]; then
  baseline_jar="$workdir/model-prefetch-base.jar"
  cp "$baseline_jar_src" "$baseline_jar"
  echo "baseline $(sha256sum "$baseline_jar" | cut -c1-12) from $baseline_jar_src" >> "$res/jar-id.txt"
fi
s3p_jar="$workdir/s3proxy/s3proxy-4.1.0-jar-with-dependencies.jar"
if [ ! -f "$s3p_jar" ]; then
  log "fetching S3Proxy 4.1.0"
  # Offline first (a populated ~/.m2); its failure says nothing worth showing, so only the online try speaks.
  (cd "$workdir" && { mvn -q -o dependency:copy -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies \
      -DoutputDirectory="$workdir/s3proxy" >/dev/null 2>&1 || mvn -q dependency:copy \
      -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies -DoutputDirectory="$workdir/s3proxy"; }) >&2
fi

# ---------------------------------------------------------------- S3Proxy
s3p_pid=""
proxy_pid=""
cleanup() {
  if [ -n "$proxy_pid" ] && kill -0 "$proxy_pid" 2>/dev/null; then kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; fi
  if [ -n "$s3p_pid" ] && kill -0 "$s3p_pid" 2>/dev/null; then kill "$s3p_pid"; wait "$s3p_pid" 2>/dev/null || true; fi
  rm -rf "$dest" "$stage"
  if [ "$keep" = 0 ]; then rm -rf "$data" "$workdir"/seeded-* "$jar"; fi
}
trap cleanup EXIT

for p in "$port" $(for n in "${networks[@]}"; do parse_network "$n"; [ "$net_label" = loopback ] || echo "$proxy_port $control_port"; done | head -1); do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then
    echo "bench: port $p already answers; pick another base with --port (S3Proxy uses PORT, the WAN proxy PORT+1 and PORT+2)" >&2; exit 2
  fi
done
cat > "$workdir/s3proxy.properties" <<EOF
s3proxy.endpoint=$ep
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.identity=$key
jclouds.credential=$secret
jclouds.filesystem.basedir=$data
s3proxy.v4-max-non-chunked-request-size=1073741824
EOF
# v4-max-non-chunked-request-size: curl's single PUTs of up to 1 GiB shards; the aws CLI's 8 MiB
# parts and small PUTs fit under the default too (its uploads are not aws-chunked over http).
# LOG_LEVEL=debug makes S3Proxy log one "request:" line per request, so each run's GETs are counted.
LOG_LEVEL=debug java -Xms256m -Xmx1g -jar "$s3p_jar" --properties "$workdir/s3proxy.properties" \
  > "$workdir/s3proxy.log" 2>&1 &
s3p_pid=$!
deadline=$(( $(date +%s) + 60 ))
until curl -s -o /dev/null --max-time 1 "$ep/"; do
  kill -0 "$s3p_pid" 2>/dev/null || { echo "bench: S3Proxy exited; see $workdir/s3proxy.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: S3Proxy did not answer on $ep within 60 s" >&2; exit 1; }
  sleep 0.1
done
log "S3Proxy 4.1.0 up on $ep (pid $s3p_pid, basedir $data)"

s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$key:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
s3curl -o /dev/null -X PUT "$ep/$bucket" 2>/dev/null || true

# ---------------------------------------------------------------- seeding
# Fast deterministic pseudo-random bytes (AES-CTR keystream), several GB/s instead of /dev/urandom.
gen() { { openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:$2" < /dev/zero 2>/dev/null || true; } | head -c "$1"; }

# gen_safetensors BYTES SEED TENSOR: a valid safetensors file of exactly BYTES bytes on stdout, as the
# reference writer lays it out: the header's length (8 bytes, little-endian), the JSON header padded with
# spaces to a multiple of 8 bytes, then one U8 tensor TENSOR of gen's bytes filling the rest. model-prefetch
# checks a shard's structure before its final name: random bytes named *.safetensors would fail it.
gen_safetensors() {
  local total="$1" seed="$2" tensor="$3" header hlen data i
  header="{\"__metadata__\":{\"format\":\"pt\"},\"$tensor\":{\"dtype\":\"U8\",\"shape\":[$total],\"data_offsets\":[0,$total]}}"
  hlen=$(( (${#header} + 7) / 8 * 8 ))  # with the widest data size (the file's own): the header fits
  data=$(( total - 8 - hlen ))
  header="{\"__metadata__\":{\"format\":\"pt\"},\"$tensor\":{\"dtype\":\"U8\",\"shape\":[$data],\"data_offsets\":[0,$data]}}"
  for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf '%03o' $(( (hlen >> (8 * i)) & 255 )))"; done
  printf '%-*s' "$hlen" "$header"
  gen "$data" "$seed"
}

put_single() { s3curl -o /dev/null -T "$2" "$ep/$bucket/$1"; }
put_multipart() { # key file part_mib
  local k="$1" f="$2" part_mib="$3" uid parts p etag xml
  uid="$(s3curl -X POST "$ep/$bucket/$k?uploads=" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')"
  parts=$(( ( $(stat -c %s "$f") + part_mib * 1048576 - 1 ) / (part_mib * 1048576) ))
  xml="<CompleteMultipartUpload>"
  for p in $(seq 1 "$parts"); do
    dd if="$f" of="$stage/part" bs=1M skip=$(( (p - 1) * part_mib )) count="$part_mib" status=none
    etag="$(s3curl -o /dev/null -D - -T "$stage/part" "$ep/$bucket/$k?partNumber=$p&uploadId=$uid" \
      | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
    xml+="<Part><PartNumber>$p</PartNumber><ETag>$etag</ETag></Part>"
  done
  rm -f "$stage/part"
  s3curl -o /dev/null -X POST -H "Content-Type: application/xml" --data-binary "$xml</CompleteMultipartUpload>" "$ep/$bucket/$k?uploadId=$uid"
}

# Shards: (size/1GiB - 1) shards of 1 GiB, then 512 MiB shards, then a remainder; the first shard is
# uploaded as a multipart object with 64 MiB parts (ETag "<md5>-N"), the others with one PUT.
shard_sizes() {
  local s="$1" out=() k r
  k=$(( s / 1024 - 1 )); [ "$k" -lt 0 ] && k=0
  for _ in $(seq 1 "$k"); do out+=(1024); done
  r=$(( s - k * 1024 ))
  while [ "$r" -ge 512 ]; do out+=(512); r=$(( r - 512 )); done
  [ "$r" -gt 0 ] && out+=("$r")
  echo "${out[@]}"
}

# write_configs DIR N_SHARDS: the model's six config and tokenizer files (a 2 MiB tokenizer.json); the
# index maps each shard's tensor (gen_safetensors TENSOR shard.N.weight) to its shard.
config_names="config.json generation_config.json special_tokens_map.json tokenizer_config.json tokenizer.json model.safetensors.index.json"
write_configs() {
  local dir="$1" n="$2"
  printf '{"architectures":["LlamaForCausalLM"],"hidden_size":4096,"num_hidden_layers":32,"vocab_size":32000}\n' > "$dir/config.json"
  printf '{"bos_token_id":1,"eos_token_id":2}\n' > "$dir/generation_config.json"
  printf '{"bos_token":"<s>","eos_token":"</s>","unk_token":"<unk>"}\n' > "$dir/special_tokens_map.json"
  printf '{"model_max_length":4096,"tokenizer_class":"LlamaTokenizer"}\n' > "$dir/tokenizer_config.json"
  { printf '{"model":{"vocab":"'; gen 1572864 tokenizer | base64 -w0; printf '"}}\n'; } > "$dir/tokenizer.json"
  { printf '{"metadata":{"total_size":%d},"weight_map":{' $(( size_mib * 1048576 ))
    for i in $(seq 1 "$n"); do printf '"shard.%d.weight":"model-%05d-of-%05d.safetensors",' "$i" "$i" "$n"; done | sed 's/,$//'
    printf '}}\n'; } \
    > "$dir/model.safetensors.index.json"
}

seed_model() {
  # "-st-": shards that are valid safetensors files (a workdir seeded before them holds random bytes).
  local marker="$workdir/seeded-model-st-$size_mib" sizes n i name mib f
  if [ -f "$marker" ] && [ -f "$workdir/model.sha256" ]; then log "model of $size_mib MiB already seeded"; return; fi
  rm -rf "$data/$bucket/model" "$workdir"/seeded-model-[0-9]* "$workdir"/seeded-model-st-* "$workdir/model.sha256" \
    "$workdir/model.keys"
  read -r -a sizes <<< "$(shard_sizes "$size_mib")"
  n=${#sizes[@]}
  log "seeding model/: $n shards (${sizes[*]} MiB) + configs"
  for i in $(seq 0 $(( n - 1 ))); do
    mib=${sizes[$i]}
    name="$(printf 'model-%05d-of-%05d.safetensors' $(( i + 1 )) "$n")"
    f="$stage/$name"
    gen_safetensors $(( mib * 1048576 )) "shard-$i" "shard.$(( i + 1 )).weight" > "$f"
    (cd "$stage" && sha256sum "$name") >> "$workdir/model.sha256"
    if [ "$i" = 0 ] && [ "$mib" -ge 128 ]; then put_multipart "model/$name" "$f" 64; else put_single "model/$name" "$f"; fi
    rm -f "$f"
  done
  write_configs "$stage" "$n"
  for name in $config_names; do
    (cd "$stage" && sha256sum "$name") >> "$workdir/model.sha256"
    put_single "model/$name" "$stage/$name"
    rm -f "$stage/$name"
  done
  awk '{print $2}' "$workdir/model.sha256" > "$workdir/model.keys"
  touch "$marker"
}

# The aws CLI at its defaults, talking to S3Proxy directly or to the proxy; no user configuration.
aws_cli=(env -u AWS_CA_BUNDLE -u AWS_ENDPOINT_URL -u AWS_PROFILE AWS_CONFIG_FILE="$workdir/no-aws-config"
  AWS_SHARED_CREDENTIALS_FILE="$workdir/no-aws-credentials" AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret"
  AWS_DEFAULT_REGION=us-east-1 aws)

# model-aws/: 4 equal shards (1 GiB shards above 4G) and the configs, uploaded by one `aws s3 cp
# --recursive` at its defaults (8 MiB multipart parts, 10 at once, CRC32), as a user would.
seed_model_aws() {
  local marker="$workdir/seeded-model-aws-st-$size_mib" n shard i mib name
  if [ -f "$marker" ] && [ -f "$workdir/model-aws.sha256" ]; then log "model-aws of $size_mib MiB already uploaded"; return; fi
  rm -rf "$data/$bucket/model-aws" "$workdir"/seeded-model-aws-* "$workdir/model-aws.sha256" "$workdir/model-aws.keys" "$stage/model-aws"
  n=$(( size_mib > 4096 ? (size_mib + 1023) / 1024 : 4 ))
  shard=$(( size_mib / n ))
  mkdir -p "$stage/model-aws"
  for i in $(seq 0 $(( n - 1 ))); do
    mib=$(( i == n - 1 ? size_mib - shard * (n - 1) : shard ))
    name="$(printf 'model-%05d-of-%05d.safetensors' $(( i + 1 )) "$n")"
    gen_safetensors $(( mib * 1048576 )) "aws-shard-$i" "shard.$(( i + 1 )).weight" > "$stage/model-aws/$name"
  done
  write_configs "$stage/model-aws" "$n"
  (cd "$stage/model-aws" && sha256sum -- *) > "$workdir/model-aws.sha256"
  log "uploading model-aws/ with aws s3 cp --recursive at its defaults: $n shards of about $shard MiB + configs"
  "${aws_cli[@]}" --endpoint-url "$ep" s3 cp --recursive --only-show-errors "$stage/model-aws/" "s3://$bucket/model-aws/" >&2
  rm -rf "$stage/model-aws"
  awk '{print $2}' "$workdir/model-aws.sha256" > "$workdir/model-aws.keys"
  "${aws_cli[@]}" --endpoint-url "$ep" s3api head-object --bucket "$bucket" --key "model-aws/$(grep -m1 safetensors "$workdir/model-aws.keys")" \
    --checksum-mode ENABLED --query '[ETag,ChecksumCRC32,ChecksumType]' --output text > "$workdir/model-aws.head" 2>&1 || true
  log "model-aws/ first shard: ETag, CRC32, checksum type: $(tr -s '\t\n' '  ' < "$workdir/model-aws.head")"
  touch "$marker"
}

# rclone_vars_for ENDPOINT: an S3 remote "bench:" from environment variables (provider Other, path style).
rclone_vars_for() {
  rclone_vars=(env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$key" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret"
    RCLONE_CONFIG_BENCH_ENDPOINT="$1" RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)
}
rclone_env() { rclone_vars_for "$ep"; "${rclone_vars[@]}" "$@"; }

seed_small() {
  local marker="$workdir/seeded-small-$small_files" total off i sz
  if [ -f "$marker" ] && [ -f "$workdir/small.sha256" ]; then log "small files already seeded"; return; fi
  rm -rf "$data/$bucket/small" "$workdir"/seeded-small-* "$workdir/small.sha256" "$stage/small"
  mkdir -p "$stage/small"
  log "seeding small/: $small_files files of 4-64 KiB"
  awk -v n="$small_files" 'BEGIN{srand(7); for(i=0;i<n;i++) print 4096+int(rand()*61441)}' > "$stage/small.sizes"
  total=$(awk '{s+=$1} END{print s}' "$stage/small.sizes")
  gen "$total" small > "$stage/small.blob"
  off=0; i=0
  while read -r sz; do
    dd if="$stage/small.blob" of="$(printf '%s/small/layer-%02d/part-%05d.bin' "$stage" $(( i % 20 )) "$i")" \
      iflag=skip_bytes,count_bytes skip="$off" count="$sz" status=none 2>/dev/null \
      || { mkdir -p "$(printf '%s/small/layer-%02d' "$stage" $(( i % 20 )))"; dd if="$stage/small.blob" \
        of="$(printf '%s/small/layer-%02d/part-%05d.bin' "$stage" $(( i % 20 )) "$i")" \
        iflag=skip_bytes,count_bytes skip="$off" count="$sz" status=none; }
    off=$(( off + sz )); i=$(( i + 1 ))
  done < "$stage/small.sizes"
  rm -f "$stage/small.blob" "$stage/small.sizes"
  (cd "$stage/small" && find . -type f | sed 's:^\./::' | sort | xargs sha256sum) > "$workdir/small.sha256"
  rclone_env rclone --config /dev/null copy "$stage/small" "bench:$bucket/small" --transfers 16 >&2
  rm -rf "$stage/small"
  touch "$marker"
}

# ---------------------------------------------------------------- clients
# The launcher with the snapshotted jar and a class-data-sharing archive of the harness's own
# (launch_base: the same with the baseline jar and its own archive).
launch() {
  launch=(env PREFETCH_JAR="$jar" XDG_CACHE_HOME="$workdir/cache" PREFETCH_JAVA_OPTS="$prefetch_java_opts" "$root/prefetch")
  launch_base=(env PREFETCH_JAR="${baseline_jar:-}" XDG_CACHE_HOME="$workdir/cache-base" PREFETCH_JAVA_OPTS="$prefetch_java_opts" "$root/prefetch")
}
launch
prefetch_has_verify=0
if java -jar "$jar" run --help 2>/dev/null | grep -q -- '--verify'; then prefetch_has_verify=1; fi

# s3cmd_config ENDPOINT: a config file with only what s3cmd needs to reach it (path style, http).
s3cmd_config() {
  local f="$workdir/s3cmd-${1##*:}.cfg"
  printf '[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nbucket_location = us-east-1\n' \
    "$key" "$secret" "${1#http://}" "${1#http://}" > "$f"
  echo "$f"
}

# client_cmd CLIENT CASE DEST REPORT -> prints nothing; sets array cmd (talking to $cep)
client_cmd() {
  local c="$1" k="$2" d="$3" report="$4"
  local penv=(env AWS_ENDPOINT_URL="$cep" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret")
  rclone_vars_for "$cep"
  case "$c" in
    prefetch) cmd=("${penv[@]}" "${launch[@]}" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch+*) local v="${c#prefetch+}"; cmd=("${penv[@]}" "${launch[@]}" run ${variants[$v]} --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-base) cmd=("${penv[@]}" "${launch_base[@]}" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-size) cmd=("${penv[@]}" "${launch[@]}" run --verify size --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-image) cmd=("${penv[@]}" java @"$workdir/image/jvm.options" -jar "$jar" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-opts) cmd=("${penv[@]}" java @"$root/configs/jvm.options" -jar "$jar" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-jar) cmd=("${penv[@]}" java -jar "$jar" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    rclone) cmd=("${rclone_vars[@]}" rclone --config /dev/null copy "bench:$bucket/$k" "$d/$k" --transfers 4 --multi-thread-streams 4) ;;
    rclone-nocheck) cmd=("${rclone_vars[@]}" rclone --config /dev/null copy "bench:$bucket/$k" "$d/$k" --transfers 4 --multi-thread-streams 4 --ignore-checksum) ;;
    aws) cmd=("${aws_cli[@]}" --endpoint-url "$cep" s3 cp --recursive --only-show-errors "s3://$bucket/$k/" "$d/$k/") ;;
    s3cmd) mkdir -p "$d/$k"; cmd=(s3cmd -c "$(s3cmd_config "$cep")" --no-progress get --recursive "s3://$bucket/$k/" "$d/$k/") ;;
    jvm-start) cmd=("${launch[@]}" --version) ;;
    java-floor) cmd=("${penv[@]}" java -XX:+UseSerialGC -cp "$jar:$workdir/floor" JavaFloor "$cep" "$bucket" "$k/" 16) ;;
    curl) mapfile -t keys < "$workdir/$k.keys"; cmd=("$0" __curl_fetch "$cep" "$bucket" "$k/" "$d/$k" "${keys[@]}") ;;
    *) echo "bench: unknown client '$c'" >&2; exit 2 ;;
  esac
}

# S3Proxy logs each request with the URL the client addressed (the proxy forwards Host unchanged).
gets_so_far() { grep -c "request: .*{GET@[0-9a-f]* $cep/$bucket/$1/" "$workdir/s3proxy.log" || true; }
requests_so_far() { grep -c "request: .*{[A-Z]*@[0-9a-f]* $cep/" "$workdir/s3proxy.log" || true; }
# Machine-wide busy CPU seconds so far (all processes): the part not used by the client, S3Proxy or
# the WAN proxy during a run is other load on the machine, reported per run as other_cpu_s.
machine_cpu() { awk -v t="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f", ($2+$3+$4+$7+$8+$9)/t}' /proc/stat; }
wait_quiet() { # up to $quiet_wait s for a 1 s window with the machine < 25% busy
  local deadline=$(( $(date +%s) + quiet_wait )) a b
  while [ "$(date +%s)" -lt "$deadline" ]; do
    a="$(machine_cpu)"; sleep 1; b="$(machine_cpu)"
    awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN{exit !((b-a)/n < 0.25)}' && return 0
  done
}
server_cpu() { proc_cpu "$s3p_pid"; }

# ---------------------------------------------------------------- WAN proxy
proxy_classes="$workdir/wanproxy"
ctl="http://127.0.0.1:$control_port"
declare -A px=()
# start_proxy: bench/WanProxy.java for the profile parsed last (net_*), in front of S3Proxy.
start_proxy() {
  start_wan_proxy "$proxy_classes" "$workdir/wanproxy-$net_label.log" "$proxy_port" "$port" "$net_latency_ms" \
    "$net_mbps" "$net_rps" "$control_port"
  cep="http://127.0.0.1:$proxy_port"
  log "$(head -1 "$workdir/wanproxy-$net_label.log") (pid $proxy_pid)"
}
stop_proxy() {
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; fi
  cep="$ep"
}
proxy_reset() { curl -sS -f --max-time 5 -o /dev/null "$ctl/reset"; }
# proxy_read: the counters into px[], once the client's connections have closed (up to 5 s).
proxy_read() {
  local deadline=$(( $(date +%s) + 5 )) out n v
  while :; do
    out="$(curl -sS -f --max-time 5 "$ctl/stats")"
    grep -qx 'connections_open 0' <<< "$out" && grep -qx 'in_flight 0' <<< "$out" && break
    [ "$(date +%s)" -lt "$deadline" ] || { log "WAN proxy: connections still open 5 s after the client exited"; break; }
    sleep 0.05
  done
  px=()
  while read -r n v; do px[$n]="$v"; done <<< "$out"
}
# proxy_probe PREFIX: three curl GETs of tokenizer.json on one connection through the proxy, their
# first byte and rate against the profile, and the proxy's counts against curl's: the harness
# checks its own instrument before it measures with it (the first GET also opens the connection).
proxy_probe() {
  local k="$1" out code ttfb total size one=0 codes="" ttfbs="" rates="" bytes=0
  proxy_reset
  out="$(s3curl -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' \
    -o /dev/null "$cep/$bucket/$k/tokenizer.json" -o /dev/null "$cep/$bucket/$k/tokenizer.json" -o /dev/null "$cep/$bucket/$k/tokenizer.json")"
  while read -r code ttfb total size; do
    codes+="${codes:+,}$code"; ttfbs+="${ttfbs:+, }$(awk -v t="$ttfb" 'BEGIN{printf "%.1f", t*1000}')"
    rates+="${rates:+, }$(awk -v s="$size" -v a="$ttfb" -v b="$total" 'BEGIN{printf "%.1f", (b>a ? s/1e6/(b-a) : 0)}')"
    bytes=$(( bytes + size )); one="$size"
    printf 'probe\t%s\t%s\t%s\t%s\t%s\n' "$net_label" "$code" "$ttfb" "$total" "$size" >> "$res/proxy-probes.tsv"
  done <<< "$out"
  proxy_read
  log "WAN proxy probe: 3 GETs of $k/tokenizer.json ($one bytes) on one connection: HTTP $codes, first byte after $ttfbs ms (profile $net_latency_ms ms), then $rates MB/s (profile $net_mbps MB/s); the proxy counted ${px[requests]} requests, ${px[body_bytes_out]} body bytes, ${px[connections_max]} connection"
  if [ "$codes" != 200,200,200 ] || [ "${px[requests]}" != 3 ] || [ "${px[body_bytes_out]}" != "$bytes" ] || [ "${px[connections_max]}" != 1 ]; then
    echo "bench: the WAN proxy's probe failed (HTTP $codes; the proxy counted ${px[requests]} requests, ${px[body_bytes_out]} bytes, ${px[connections_max]} connections for curl's 3, $bytes, 1)" >&2; exit 1
  fi
}

tsv="$res/runs.tsv"
header=$'case\tclient\tround\twall_s\trss_kib\tuser_s\tsys_s\texit\tverified\tgets\tserver_cpu_s\tload1\tbytes\tstarted\tother_cpu_s\tnetwork\trequests\tconns_max\tinflight_max\tslowdown_503\tproxy_bytes_out\tproxy_cpu_s\tserver_requests'
# A kept workdir's rows of an earlier invocation (another jar, another day) are moved aside: the
# summary is of this run's rows only.
if [ -f "$tsv" ]; then
  aside="runs-before-$(date +%s).tsv"
  log "results/runs.tsv holds an earlier invocation's rows: moved to results/$aside"
  mv "$tsv" "$res/$aside"
fi
echo "$header" > "$tsv"

# run_one LABEL PREFIX CLIENT ROUND MODE: one timed run, then a sha256 check of every file (untimed).
# MODE fresh empties the destination first; keep runs into whatever is there (the rerun case).
run_one() {
  local label="$1" k="$2" c="$3" r="$4" mode="$5" tfile="$stage/time.$$"
  local tag="$([ "$net_label" = loopback ] || echo "$net_label-")$1"
  local report="$res/report-$tag-$3-$4.json"
  local load g0 g1 q0 q1 s0 s1 p0 p1 m0 m1 other rc verified bytes wall rss user sys pcpu preq pconn pinfl pslow pbytes
  if [ "$mode" = fresh ]; then rm -rf "$dest"; fi
  mkdir -p "$dest"
  client_cmd "$c" "$k" "$dest" "$report"
  sync
  [ "$quiet_wait" -gt 0 ] && wait_quiet
  [ -n "$proxy_pid" ] && proxy_reset
  load="$(cut -d' ' -f1 /proc/loadavg)"
  g0="$(gets_so_far "$k")"; q0="$(requests_so_far)"; s0="$(server_cpu)"; m0="$(machine_cpu)"; p0="$([ -n "$proxy_pid" ] && proc_cpu "$proxy_pid" || echo 0)"
  rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$tfile" timeout "$client_timeout" "${cmd[@]}" > "$res/log-$tag-$c-$r.txt" 2>&1 || rc=$?
  [ -n "$proxy_pid" ] && proxy_read
  g1="$(gets_so_far "$k")"; q1="$(requests_so_far)"; s1="$(server_cpu)"; m1="$(machine_cpu)"; p1="$([ -n "$proxy_pid" ] && proc_cpu "$proxy_pid" || echo 0)"
  read -r wall rss user sys < <(tail -n 1 "$tfile")
  if [ "$c" = jvm-start ] || [ "$c" = java-floor ]; then # nothing written
    verified=n/a; bytes=0
  else
    if (cd "$dest/$k" 2>/dev/null && sha256sum -c --quiet --strict "$workdir/$k.sha256" >/dev/null 2>&1); then verified=ok; else verified=FAIL; fi
    bytes=$(awk '{print $2}' "$workdir/$k.sha256" | (cd "$dest/$k" 2>/dev/null && xargs stat -c %s 2>/dev/null) | awk '{s+=$1} END{print s+0}')
  fi
  pcpu="$(awk -v a="$p0" -v b="$p1" 'BEGIN{printf "%.2f", b-a}')"
  other="$(awk -v a="$m0" -v b="$m1" -v s0="$s0" -v s1="$s1" -v p="$pcpu" -v u="$user" -v y="$sys" 'BEGIN{o=(b-a)-(s1-s0)-p-u-y; printf "%.2f", o<0?0:o}')"
  if [ -n "$proxy_pid" ]; then
    preq="${px[requests]}" pconn="${px[connections_max]}" pinfl="${px[in_flight_max]}" pslow="${px[slowdown_503]}" pbytes="${px[body_bytes_out]}"
  else
    preq=$(( q1 - q0 )) pconn=- pinfl=- pslow=- pbytes=- pcpu=-
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$c" "$r" "$wall" "$rss" "$user" "$sys" "$rc" "$verified" \
    $(( g1 - g0 )) "$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')" "$load" "${bytes:-0}" "$(date +%H:%M:%S)" "$other" \
    "$net_label" "$preq" "$pconn" "$pinfl" "$pslow" "$pbytes" "$pcpu" $(( q1 - q0 )) >> "$tsv"
  log "$net_label $label $c round $r: ${wall}s rss ${rss}KiB cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')s exit $rc sha256 $verified GETs $(( g1 - g0 )) requests $preq$([ -z "$proxy_pid" ] || echo " (S3Proxy saw $(( q1 - q0 ))) conns-at-once $pconn in-flight-at-once $pinfl 503s $pslow proxy-cpu ${pcpu}s") server-cpu $(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')s other-cpu ${other}s load $load"
}

rotate() { # rotate CSV N: the list as words, starting at element N mod length
  local -a a; IFS=, read -r -a a <<< "$1"; local n=${#a[@]} i
  for i in $(seq 0 $(( n - 1 ))); do printf '%s ' "${a[$(( ($2 + i) % n ))]}"; done
}
without_prefetch_size() { # the list without prefetch-size when this build has no --verify option
  if [ "$prefetch_has_verify" = 0 ] && [[ ",$1," == *",prefetch-size,"* ]]; then
    log "model-prefetch has no --verify option: skipping client prefetch-size"
    echo ",$1," | sed 's/,prefetch-size,/,/; s/^,//; s/,$//'
  else
    echo "$1"
  fi
}

# ---------------------------------------------------------------- cases
parse_network "${networks[0]}"
first_model="$(model_prefix "$net_label")"
if [ "$first_model" = model-aws ]; then seed_model_aws; else seed_model; fi
# The first run of a jar on a machine records its class-data-sharing archive (see ./prefetch); do it
# here, untimed, as an installation would, on the model's small files only: for the baseline jar
# too, or its first measured round pays the archive (a few CPU-s and 200 MiB more at exit).
log "warm-up: one untimed model-prefetch run of the configs per jar, which writes the launcher's class-data-sharing archive"
warm_up() {
  env AWS_ENDPOINT_URL="$ep" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" "$@" \
    run --model-uri "s3://$bucket/$first_model/" --include '*.json' --local-dir "$workdir/warmup" >/dev/null 2>&1 \
    || log "warm-up run failed (the measured runs will show why)"
  rm -rf "$workdir/warmup"
}
warm_up "${launch[@]}"
# prefetch-image: the Dockerfile's class-data-sharing step, on the snapshotted jar.
if echo ",$clients,$wan_clients," | grep -q ',prefetch-image,'; then
  log "image archive: one untimed demo run records the class-data-sharing archive, as the Dockerfile does"
  rm -rf "$workdir/image"; mkdir -p "$workdir/image"
  image_archive "$jar" "$workdir/image" || { echo "bench: the image archive's demo run failed" >&2; exit 1; }
fi
if [ -n "$baseline_jar_src" ]; then
  warm_up "${launch_base[@]}"
fi
profiled=0
warmed=""
for network in "${networks[@]}"; do
  parse_network "$network"
  k="$(model_prefix "$net_label")"
  if [ "$k" = model-aws ]; then seed_model_aws; else seed_model; fi
  if [ "$net_label" = loopback ]; then active="$(without_prefetch_size "$clients")"; else active="$(without_prefetch_size "$wan_clients")"; start_proxy; proxy_probe "$k"; fi
  mlabel="$([ "$k" = model-aws ] && echo "model-aws-$size_mib" || echo "model-$size_mib")"
  if [ "$runs" -gt 0 ] && [[ " $warmed " != *" $k "* ]]; then
    # The first read of a model after S3Proxy starts costs S3Proxy 20 CPU-s more at 8 GiB (25
    # against 4-5), whichever client makes it: read every object once, untimed, straight from it.
    log "warm-up: one untimed read of every object of $k/ from S3Proxy"
    mapfile -t wkeys < "$workdir/$k.keys"
    "$0" __curl_fetch "$ep" "$bucket" "$k/" - "${wkeys[@]}" || log "warm-up read failed (the measured runs will show why)"
    warmed="$warmed $k"
  fi
  if [ "$runs" -gt 0 ]; then
    log "$net_label: case $mlabel ($size_mib MiB): $runs rounds, clients in rotating order: $active"
    for r in $(seq 1 "$runs"); do
      for c in $(rotate "$active" $(( r - 1 ))); do run_one "$mlabel" "$k" "$c" "$r" fresh; done
    done
  fi

  if [ "$profile" = 1 ] && [ "$profiled" = 0 ]; then
    profiled=1
    log "$net_label: profiling one model-prefetch run with JFR -> $res/prefetch.jfr"
    saved_opts="$prefetch_java_opts"
    prefetch_java_opts="$saved_opts -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:StartFlightRecording=filename=$res/prefetch.jfr,settings=profile"
    launch
    run_one "profile-$size_mib" "$k" prefetch 1 fresh
    prefetch_java_opts="$saved_opts"
    launch
    if command -v jfr >/dev/null; then
      jfr print --stack-depth 64 --events jdk.ExecutionSample "$res/prefetch.jfr" > "$res/prefetch-samples.txt"
      # thread group (digits stripped) and top frame of every sample
      awk '/sampledThread = /{t=$0; sub(/.*sampledThread = "/,"",t); sub(/".*/,"",t); gsub(/[-_ ]?[0-9]+$/,"",t)}
           /stackTrace = \[/{getline; f=$0; sub(/^[ \t]+/,"",f); sub(/[ \t]+line:.*/,"",f); print t "\t" f}' \
        "$res/prefetch-samples.txt" > "$res/prefetch-top-frames.tsv"
      { echo "# jdk.ExecutionSample events: $(wc -l < "$res/prefetch-top-frames.tsv")"
        echo "# samples per thread group"
        cut -f1 "$res/prefetch-top-frames.tsv" | sort | uniq -c | sort -rn
        for g in $(cut -f1 "$res/prefetch-top-frames.tsv" | sort | uniq -c | sort -rn | head -4 | awk '{print $2}'); do
          echo "# top frames (self) of thread group $g"
          awk -F'\t' -v g="$g" '$1==g{print $2}' "$res/prefetch-top-frames.tsv" | sort | uniq -c | sort -rn | head -15
        done
        echo "# frames anywhere on the stack (inclusive), all threads"
        grep -E '^\s+[a-zA-Z].*\(.*\)' "$res/prefetch-samples.txt" | sed -E 's/^\s+//; s/\s+line:.*//' | sort | uniq -c | sort -rn | head -50
        echo "# garbage collections and their summed pauses"
        jfr print --events jdk.GarbageCollection "$res/prefetch.jfr" | awk '/sumOfPauses/{n++; v=$3; if ($4=="s") v*=1000; if ($4=="us") v/=1000; t+=v} END{printf "%d collections, %.0f ms paused\n", n, t}'
        echo "# process CPU (jdk.CPULoad, mean over samples): jvmUser jvmSystem machineTotal"
        jfr print --events jdk.CPULoad "$res/prefetch.jfr" | awk '/jvmUser/{u+=$3; n++} /jvmSystem/{s+=$3} /machineTotal/{m+=$3} END{if (n) printf "%.0f%% %.0f%% %.0f%% of the machine (%d samples)\n", u/n, s/n, m/n, n}'
      } > "$res/prefetch-profile.txt"
      rm -f "$res/prefetch-samples.txt"
    fi
  fi

  if [ "$rerun_runs" -gt 0 ]; then
    log "$net_label: case rerun: model-prefetch again into a destination that already holds the complete model"
    rm -rf "$dest"; mkdir -p "$dest"
    client_cmd prefetch "$k" "$dest" "$res/report-$([ "$net_label" = loopback ] || echo "$net_label-")rerun-setup.json"
    "${cmd[@]}" > "$res/log-$([ "$net_label" = loopback ] || echo "$net_label-")rerun-setup.txt" 2>&1
    for r in $(seq 1 "$rerun_runs"); do
      run_one rerun "$k" jvm-start "$r" keep
      run_one rerun "$k" prefetch "$r" keep
    done
  fi

  if [ "$small_files" -gt 0 ]; then
    seed_small
    # The floor of a JVM client: bench/JavaFloor.java lists with the SDK and GETs, writing nothing.
    if [ "${floor_built:-0}" = 0 ]; then rm -rf "$workdir/floor"; javac -cp "$jar" -d "$workdir/floor" "$here/JavaFloor.java"; floor_built=1; fi
    # java-floor does not retry (it is a floor): under a request-rate limit it would only fail.
    small_clients="prefetch,rclone$([ "$net_rps" = 0 ] && echo ,java-floor)$(echo ",$active" | grep -o -e ',prefetch+[^,]*' -e ',prefetch-image' -e ',prefetch-opts' -e ',prefetch-jar' -e ',aws' -e ',s3cmd' | tr -d '\n')"
    log "$net_label: case small: $small_files files, ${small_runs:-$runs} rounds: $small_clients"
    for r in $(seq 1 "${small_runs:-$(( runs > 0 ? runs : 1 ))}"); do
      for c in $(rotate "$small_clients" $(( r - 1 ))); do run_one "small-$small_files" small "$c" "$r" fresh; done
    done
  fi
  [ "$net_label" = loopback ] || stop_proxy
done
rm -rf "$dest"

# ---------------------------------------------------------------- summary
summarize
log "raw rows: $tsv; summary: $res/summary.md"
