#!/usr/bin/env bash
# The same model over HTTPS: model-prefetch next to rclone, both at their defaults, reading a
# workdir that bench/run.sh seeded (run it first with --keep), from S3Proxy's HTTPS endpoint on
# 127.0.0.1 with a self-signed certificate made here by keytool.
#
#   bench/tls.sh [--workdir /tmp/model-prefetch-bench] [--model model-aws] [--runs 5] [--port 18795]
#                [--options NAME=FILE]...   (a model-prefetch client per JVM options file; default:
#                                            prefetch=configs/jvm.options)
#
# Each model-prefetch client runs `java @FILE -jar model-prefetch.jar run` with the class-data-sharing
# archive the container image has, recorded once here by a demo run as the Dockerfile does; rclone
# runs `rclone copy --transfers 4 --multi-thread-streams 4 --ca-cert CERT`. Clients alternate, every
# run starts from an empty destination and its tree is checked by sha256; the summary gives medians
# of wall time, CPU (user + sys of the client's process tree) and peak RSS. The WAN proxy of run.sh
# speaks plain HTTP only, so this runs on loopback, where the CPU per byte of TLS shows.
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
. "$here/lib.sh"
workdir=/tmp/model-prefetch-bench model=model-aws runs=5 port=18795
declare -a options=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workdir) workdir="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --options) options+=("$2"); shift 2 ;;
    *) echo "bench/tls.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ "${#options[@]}" -gt 0 ] || options=("prefetch=$root/configs/jvm.options")
props="$workdir/s3proxy.properties" jar="$workdir/model-prefetch.jar"
for f in "$props" "$jar" "$workdir/$model.sha256"; do
  [ -f "$f" ] || { echo "bench/tls.sh: $f is missing: run bench/run.sh --workdir $workdir --keep first" >&2; exit 1; }
done
prop() { sed -n "s/^$1=//p" "$props"; }
key="$(prop s3proxy.identity)" secret="$(prop s3proxy.credential)"
tls="$workdir/tls" res="$workdir/results-tls" dest="$workdir/dest-tls"
rm -rf "$tls" "$res"; mkdir -p "$tls" "$res"
log() { echo "[tls $(date -u +%H:%M:%S)] $*" >&2; }

keytool -genkeypair -alias s3 -keyalg EC -groupname secp256r1 -dname CN=127.0.0.1 \
  -ext SAN=ip:127.0.0.1 -validity 7 -keystore "$tls/keys.p12" -storetype PKCS12 \
  -storepass benchpass -keypass benchpass >/dev/null 2>&1
keytool -exportcert -rfc -alias s3 -keystore "$tls/keys.p12" -storepass benchpass > "$tls/cert.pem"
{ grep -v '^s3proxy.endpoint=' "$props"
  printf 's3proxy.secure-endpoint=https://127.0.0.1:%s\ns3proxy.keystore-path=%s\ns3proxy.keystore-password=benchpass\n' \
    "$port" "$tls/keys.p12"; } > "$tls/s3proxy.properties"
java -Xms256m -Xmx1g -jar "$workdir/s3proxy/"s3proxy-*-jar-with-dependencies.jar \
  --properties "$tls/s3proxy.properties" > "$tls/s3proxy.log" 2>&1 &
s3p=$!
trap 'kill "$s3p" 2>/dev/null || true' EXIT
ep="https://127.0.0.1:$port"
deadline=$(( $(date +%s) + 60 ))
until curl -s -o /dev/null --max-time 1 --cacert "$tls/cert.pem" "$ep/"; do
  kill -0 "$s3p" 2>/dev/null || { echo "bench/tls.sh: S3Proxy exited; see $tls/s3proxy.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "bench/tls.sh: no HTTPS answer on $ep within 60 s" >&2; exit 1; }
  sleep 0.1
done
log "S3Proxy on $ep; recording the image's class-data-sharing archive with one demo run"
image_archive "$jar" "$tls" || { echo "bench/tls.sh: the demo run that records the archive failed" >&2; exit 1; }

runs_header
rclone_for "$ep"
for round in $(seq 1 "$runs"); do
  for o in "${options[@]}"; do
    run_one "${o%%=*}" "$round" env AWS_ENDPOINT_URL="$ep" AWS_CA_BUNDLE="$tls/cert.pem" AWS_REGION=us-east-1 \
      AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" LC_ALL=C.UTF-8 \
      java @"${o#*=}" -XX:SharedArchiveFile="$tls/model-prefetch.jsa" -Xshare:auto -jar "$jar" \
      run --model-uri "s3://bench/$model/" --local-dir "$dest"
  done
  run_one rclone "$round" "${rclone[@]}" --ca-cert "$tls/cert.pem" copy "bench:bench/$model" "$dest/$model"
done
rm -rf "$dest"
runs_summary
log "raw rows: $res/runs.tsv; summary: $res/summary.md"
