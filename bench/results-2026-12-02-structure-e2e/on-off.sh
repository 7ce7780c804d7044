#!/usr/bin/env bash
# Times model-prefetch with --structure-check on and off, alternating (on first in odd rounds), on a
# model of SIZE_MIB (default 2048) seeded as bench/run.sh seeds it (its shard_sizes, the first shard a
# 64 MiB-part multipart upload, gen_safetensors shards, write_configs), against S3Proxy 4.1.0
# (filesystem-nio2) on 127.0.0.1:PORT, with the jar runners/target/model-prefetch.jar (build it first:
# mvn -B -o -q -DskipTests package). EXTRA_JAVA adds JVM flags, e.g.
# -Dorg.slf4j.simpleLogger.log.io.modelprefetch.transforms.FileAttempt=debug for each check's duration.
#   SIZE_MIB=8192 ROUNDS=4 bench/results-2026-12-02-structure-e2e/on-off.sh
set -eu
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${WORK:-/tmp/structure-cost}"
port=${PORT:-18811}
rounds=${ROUNDS:-4}
ep="http://127.0.0.1:$port"; bucket=bench; key=benchkey; secret=benchsecret; size_mib=${SIZE_MIB:-2048}
work="$work/$size_mib"; stage="$work/stage"; data="$work/data"; mkdir -p "$stage" "$data"
if curl -s -o /dev/null --max-time 1 "$ep/"; then echo "port $port is taken" >&2; exit 2; fi
eval "$(sed -n '/^gen() {/p; /^s3curl() {/p; /^put_single() {/p' "$root/bench/run.sh")"
eval "$(sed -n '/^gen_safetensors() {/,/^}/p; /^put_multipart() {/,/^}/p; /^config_names=/p; /^write_configs() {/,/^}/p' "$root/bench/run.sh")"
cat > "$work/s3proxy.properties" <<P
s3proxy.endpoint=$ep
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.identity=$key
jclouds.credential=$secret
jclouds.filesystem.basedir=$data
s3proxy.v4-max-non-chunked-request-size=1073741824
P
java -Xms256m -Xmx1g -jar ~/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar \
  --properties "$work/s3proxy.properties" > "$work/s3proxy.log" 2>&1 &
s3p=$!
trap 'kill $s3p 2>/dev/null || true' EXIT
until curl -s -o /dev/null --max-time 1 "$ep/"; do kill -0 $s3p; sleep 0.2; done
s3curl -o /dev/null -X PUT "$ep/$bucket" 2>/dev/null || true
if [ ! -f "$work/seeded" ]; then
  eval "$(sed -n '/^shard_sizes() {/,/^}/p' "$root/bench/run.sh")"
  read -r -a sizes <<< "$(shard_sizes "$size_mib")"; n=${#sizes[@]}
  log() { :; }
  i=0
  for mib in "${sizes[@]}"; do
    name="$(printf 'model-%05d-of-%05d.safetensors' $(( i + 1 )) "$n")"
    gen_safetensors $(( mib * 1048576 )) "shard-$i" "shard.$(( i + 1 )).weight" > "$stage/$name"
    if [ $i = 0 ] && [ "$mib" -ge 128 ]; then put_multipart "model/$name" "$stage/$name" 64; else put_single "model/$name" "$stage/$name"; fi
    rm -f "$stage/$name"; i=$(( i + 1 ))
  done
  write_configs "$stage" "$n"
  for name in $config_names; do put_single "model/$name" "$stage/$name"; rm -f "$stage/$name"; done
  touch "$work/seeded"
fi
jar="$root/runners/target/model-prefetch.jar"
printf 'round\tcheck\texit\twall_s\tuser_s\tsys_s\treport_s\tstructure\n' > "$work/runs.tsv"
for r in $(seq 1 "$rounds"); do
  order="on off"; [ $(( r % 2 )) = 0 ] && order="off on"
  for c in $order; do
    rm -rf "$work/dest"; mkdir -p "$work/dest"; sync
    /usr/bin/time -f '%e %U %S' -o "$work/time" env AWS_ENDPOINT_URL="$ep" AWS_REGION=us-east-1 \
      AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" LC_ALL=C.UTF-8 \
      java @"$root/configs/jvm.options" ${EXTRA_JAVA:-} -jar "$jar" run --model-uri "s3://$bucket/model/" --local-dir "$work/dest" \
      --structure-check "$c" --report "$work/report-$c.json" > "$work/out-$c" 2> "$work/err-$c-$r" && rc=0 || rc=$?
    read -r wall user sys < "$work/time"
    rs=$(python3 -c "import json;r=json.load(open('$work/report-$c.json'));print(r['totals']['seconds'], json.dumps(r['totals']['structure'],separators=(',',':')))")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$rc" "$wall" "$user" "$sys" "${rs// /	}" >> "$work/runs.tsv"
    tail -1 "$work/runs.tsv"
  done
done
python3 - "$work/runs.tsv" <<'PY'
import sys, statistics, csv
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
for c in ('on', 'off'):
    rs = [r for r in rows if r['check'] == c]
    print(c, 'runs', len(rs), 'median wall', statistics.median(float(r['wall_s']) for r in rs),
          'median report s', statistics.median(float(r['report_s']) for r in rs),
          'median cpu', statistics.median(float(r['user_s']) + float(r['sys_s']) for r in rs))
PY
