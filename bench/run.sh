#!/usr/bin/env bash
# Side-by-side download benchmark: model-prefetch against rclone and curl, all reading the same
# generated model from a local S3Proxy 4.1.0 (filesystem backend) on 127.0.0.1.
#
#   bench/run.sh [--size 8G] [--runs 3] [--clients prefetch,prefetch-size,rclone,rclone-nocheck,curl]
#                [--small-files 2000] [--rerun-runs 3] [--profile] [--port 18765]
#                [--workdir /tmp/model-prefetch-bench] [--keep]
#                [--variant "NAME=extra model-prefetch args"]...   (adds client prefetch+NAME)
#                [--quiet-wait 30]   (wait up to 30 s before each run for a second with < 25% CPU busy)
#                [--small-runs N] [--summary-only]   (re-print the summary of <workdir>/results)
#                [--timeout 900]   (a client run is stopped after this many seconds; exit 124)
#
# Every timed run starts from an empty destination and is checked by sha256 against the source
# afterwards (outside the timing). Clients run in rotating order per round; the summary reports
# medians. Raw rows: <workdir>/results/runs.tsv; summary: <workdir>/results/summary.md.
# The small-files case also times java-floor (bench/JavaFloor.java): a bare JVM client that lists
# with the AWS SDK and GETs every object, writing and verifying nothing, as a floor for any JVM client.
# Needs: java 17, mvn, curl, rclone, openssl, GNU time (/usr/bin/time), sha256sum.
# On Debian: apt-get install -y rclone curl time openssl
set -eu  # no pipefail: pipelines end in head, and each client exit status is checked explicitly

# ---------------------------------------------------------------- curl helper (internal subcommand)
# run.sh __curl_fetch ENDPOINT BUCKET PREFIX DEST KEY... : one curl stream per key, all in parallel.
if [ "${1:-}" = "__curl_fetch" ]; then
  shift
  ep="$1" bucket="$2" prefix="$3" dest="$4"
  shift 4
  pids=()
  for key in "$@"; do
    mkdir -p "$(dirname "$dest/$key")"
    curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$BENCH_KEY:$BENCH_SECRET" \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "$dest/$key" "$ep/$bucket/$prefix$key" &
    pids+=("$!")
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  exit "$rc"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

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
# model-prefetch runs through its launcher (./prefetch: heap and direct-memory limits, GC, class-data
# sharing), on the snapshotted jar; PREFETCH_JAVA_OPTS adds JVM flags after the launcher's.
prefetch_java_opts="${PREFETCH_JAVA_OPTS:-}"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
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
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for v in "${!variants[@]}"; do clients="$clients,prefetch+$v"; done

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

for tool in java mvn curl rclone openssl sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (Debian: apt-get install -y rclone curl time openssl)" >&2; exit 2; }
done

bucket=bench
key=benchkey
secret=benchsecret
export BENCH_KEY="$key" BENCH_SECRET="$secret"
ep="http://127.0.0.1:$port"
data="$workdir/data"            # S3Proxy basedir; objects live in $data/$bucket/<key>
stage="$workdir/stage"
dest="$workdir/dest"
res="$workdir/results"
mkdir -p "$workdir" "$data/$bucket" "$stage" "$res"
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- summary (from results/runs.tsv only)
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -F'\t' -v l="$1" -v c="$2" 'NR>1 && $1==l && $2==c {print '"$3"'}' "$res/runs.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a+0>0 && b+0>0) printf "%.2f", a/b; else print "n/a"}'; }
summarize() {
  local tsv="$res/runs.tsv" l c n bad failed wall bytes mbs rss cpu gets scpu loads other m pf rc rn ps
  {
    echo "## Results $(date -u +%FT%TZ) — $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
    echo
    echo "model-prefetch.jar sha256 $(cat "$res/jar-id.txt" 2>/dev/null); S3Proxy 4.1.0 (filesystem-nio2) on 127.0.0.1; source objects in page cache; \`sync\` before every run; sha256 of every file checked after every run. Medians over runs; MB/s = bytes / median wall."
    echo
    echo "| case | client | runs | sha256 | median wall s | MB/s | median peak RSS MiB | median CPU s (user+sys) | median GETs | median S3Proxy CPU s | median other CPU s | load1 at start |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    awk -F'\t' 'NR>1 {print $1"\t"$2}' "$tsv" | awk '!seen[$0]++' | while IFS=$'\t' read -r l c; do
      n="$(col "$l" "$c" '$4' | wc -l)"
      bad="$(col "$l" "$c" '$9' | grep -vc -e ok -e n/a || true)"
      failed="$(col "$l" "$c" '$8' | grep -vc '^0$' || true)"
      wall="$(col "$l" "$c" '$4' | median)"
      bytes="$(col "$l" "$c" '$13' | median)"
      mbs="$(awk -v b="$bytes" -v w="$wall" -v l="$l" 'BEGIN{if (w>0 && b>0 && l!="rerun") printf (b/1e6/w < 10 ? "%.2f" : "%.0f"), b/1e6/w; else print "-"}')"
      rss="$(col "$l" "$c" '$5/1024' | median)"
      cpu="$(col "$l" "$c" '$6+$7' | median)"
      gets="$(col "$l" "$c" '$10' | median)"
      scpu="$(col "$l" "$c" '$11' | median)"
      loads="$(col "$l" "$c" '$12' | paste -sd/ -)"
      other="$(col "$l" "$c" '$15' | median)"
      printf '| %s | %s | %s | %s | %s | %s | %.0f | %.2f | %s | %s | %s | %s |\n' "$l" "$c" "$n" \
        "$([ "$bad" = 0 ] && echo ok || echo "$bad FAILED")$([ "$failed" = 0 ] || echo ", $failed exit!=0 (124 = timeout)")" "$wall" "$mbs" "$rss" "$cpu" "$gets" "$scpu" "$other" "$loads"
    done
    echo
    for m in $(awk -F'\t' 'NR>1 && $1 ~ /^model-/ {print $1}' "$tsv" | sort -u); do
      pf="$(col "$m" prefetch '$4' | median)"; rc="$(col "$m" rclone '$4' | median)"; rn="$(col "$m" rclone-nocheck '$4' | median)"
      ps="$(col "$m" prefetch-size '$4' | median)"
      echo "- $m: model-prefetch / rclone (verified) = $(ratio "$pf" "$rc")  (target <= 0.95)"
      if [ "$ps" != "-" ]; then
        echo "- $m: model-prefetch --verify size / rclone --ignore-checksum = $(ratio "$ps" "$rn")  (target <= 1.00)"
      elif [ "${prefetch_has_verify:-1}" = 1 ]; then
        echo "- $m: model-prefetch --verify size / rclone --ignore-checksum: n/a, client prefetch-size was not run"
      else
        echo "- $m: model-prefetch --verify size / rclone --ignore-checksum: n/a, this build has no --verify option; default model-prefetch / rclone --ignore-checksum = $(ratio "$pf" "$rn")"
      fi
      echo "- $m: model-prefetch peak RSS max over runs $(col "$m" prefetch '$5/1024' | sort -g | tail -1 | awk '{printf "%.0f", $1}') MiB  (target <= 512 MiB)"
    done
    if awk -F'\t' 'NR>1 && $1=="rerun" {f=1} END{exit !f}' "$tsv"; then
      echo "- rerun: median $(col rerun prefetch '$4' | median) s vs JVM start-up (java -jar model-prefetch.jar --version) $(col rerun jvm-start '$4' | median) s  (target: <= 2 s beyond start-up); model-object GETs per rerun: $(col rerun prefetch '$10' | paste -sd, -); report totals.bytesFetched: $(for f in "$res"/report-rerun-prefetch-*.json; do tr -d ' \n' < "$f" | grep -o '"totals":{[^}]*}' | grep -o '"bytesFetched":[0-9]*' | cut -d: -f2; done | paste -sd, -)"
    fi
    for m in $(awk -F'\t' 'NR>1 && $1 ~ /^small-/ {print $1}' "$tsv" | sort -u); do
      echo "- $m: model-prefetch / rclone = $(ratio "$(col "$m" prefetch '$4' | median)" "$(col "$m" rclone '$4' | median)")  (target <= 1.00)"
      if awk -F'\t' -v m="$m" 'NR>1 && $1==m && $2=="java-floor" {f=1} END{exit !f}' "$tsv"; then
        echo "- $m: java-floor (SDK listing + JDK GETs, nothing written or verified) / rclone = $(ratio "$(col "$m" java-floor '$4' | median)" "$(col "$m" rclone '$4' | median)")"
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
s3p_jar="$workdir/s3proxy/s3proxy-4.1.0-jar-with-dependencies.jar"
if [ ! -f "$s3p_jar" ]; then
  log "fetching S3Proxy 4.1.0"
  (cd "$workdir" && { mvn -q -o dependency:copy -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies \
      -DoutputDirectory="$workdir/s3proxy" 2>/dev/null || mvn -q dependency:copy \
      -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies -DoutputDirectory="$workdir/s3proxy"; }) >&2
fi

# ---------------------------------------------------------------- S3Proxy
s3p_pid=""
cleanup() {
  if [ -n "$s3p_pid" ] && kill -0 "$s3p_pid" 2>/dev/null; then kill "$s3p_pid"; wait "$s3p_pid" 2>/dev/null || true; fi
  rm -rf "$dest" "$stage"
  if [ "$keep" = 0 ]; then rm -rf "$data" "$workdir"/seeded-* "$jar"; fi
}
trap cleanup EXIT

if curl -s -o /dev/null --max-time 1 "$ep/"; then
  echo "bench: port $port already answers; pick another with --port" >&2; exit 2
fi
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

seed_model() {
  local marker="$workdir/seeded-model-$size_mib" sizes n i name mib f
  if [ -f "$marker" ] && [ -f "$workdir/model.sha256" ]; then log "model of $size_mib MiB already seeded"; return; fi
  rm -rf "$data/$bucket/model" "$workdir"/seeded-model-* "$workdir/model.sha256" "$workdir/model.keys"
  read -r -a sizes <<< "$(shard_sizes "$size_mib")"
  n=${#sizes[@]}
  log "seeding model/: $n shards (${sizes[*]} MiB) + configs"
  for i in $(seq 0 $(( n - 1 ))); do
    mib=${sizes[$i]}
    name="$(printf 'model-%05d-of-%05d.safetensors' $(( i + 1 )) "$n")"
    f="$stage/$name"
    gen $(( mib * 1048576 )) "shard-$i" > "$f"
    (cd "$stage" && sha256sum "$name") >> "$workdir/model.sha256"
    if [ "$i" = 0 ] && [ "$mib" -ge 128 ]; then put_multipart "model/$name" "$f" 64; else put_single "model/$name" "$f"; fi
    rm -f "$f"
  done
  printf '{"architectures":["LlamaForCausalLM"],"hidden_size":4096,"num_hidden_layers":32,"vocab_size":32000}\n' > "$stage/config.json"
  printf '{"bos_token_id":1,"eos_token_id":2}\n' > "$stage/generation_config.json"
  printf '{"bos_token":"<s>","eos_token":"</s>","unk_token":"<unk>"}\n' > "$stage/special_tokens_map.json"
  printf '{"model_max_length":4096,"tokenizer_class":"LlamaTokenizer"}\n' > "$stage/tokenizer_config.json"
  { printf '{"model":{"vocab":"'; gen 1572864 tokenizer | base64 -w0; printf '"}}\n'; } > "$stage/tokenizer.json"
  { printf '{"metadata":{"total_size":%d},"weight_map":{' $(( size_mib * 1048576 )); printf '"layer.%d":"model-00001-of-%05d.safetensors",' $(seq 1 200) "$n" | sed 's/,$//'; printf '}}\n'; } \
    > "$stage/model.safetensors.index.json"
  for name in config.json generation_config.json special_tokens_map.json tokenizer_config.json tokenizer.json model.safetensors.index.json; do
    (cd "$stage" && sha256sum "$name") >> "$workdir/model.sha256"
    put_single "model/$name" "$stage/$name"
    rm -f "$stage/$name"
  done
  awk '{print $2}' "$workdir/model.sha256" > "$workdir/model.keys"
  touch "$marker"
}

rclone_vars=(env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$key" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret"
  RCLONE_CONFIG_BENCH_ENDPOINT="$ep" RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)
rclone_env() { "${rclone_vars[@]}" "$@"; }

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
# The launcher with the snapshotted jar and a class-data-sharing archive of the harness's own.
launch() { launch=(env PREFETCH_JAR="$jar" XDG_CACHE_HOME="$workdir/cache" PREFETCH_JAVA_OPTS="$prefetch_java_opts" "$root/prefetch"); }
launch
prefetch_has_verify=0
if java -jar "$jar" run --help 2>/dev/null | grep -q -- '--verify'; then prefetch_has_verify=1; fi

# client_cmd CLIENT CASE DEST REPORT -> prints nothing; sets array cmd
client_cmd() {
  local c="$1" k="$2" d="$3" report="$4"
  local penv=(env AWS_ENDPOINT_URL="$ep" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret")
  case "$c" in
    prefetch) cmd=("${penv[@]}" "${launch[@]}" run --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch+*) local v="${c#prefetch+}"; cmd=("${penv[@]}" "${launch[@]}" run ${variants[$v]} --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    prefetch-size) cmd=("${penv[@]}" "${launch[@]}" run --verify size --model-uri "s3://$bucket/$k/" --local-dir "$d" --report "$report") ;;
    rclone) cmd=("${rclone_vars[@]}" rclone --config /dev/null copy "bench:$bucket/$k" "$d/$k" --transfers 4 --multi-thread-streams 4) ;;
    rclone-nocheck) cmd=("${rclone_vars[@]}" rclone --config /dev/null copy "bench:$bucket/$k" "$d/$k" --transfers 4 --multi-thread-streams 4 --ignore-checksum) ;;
    jvm-start) cmd=("${launch[@]}" --version) ;;
    java-floor) cmd=("${penv[@]}" java -XX:+UseSerialGC -cp "$jar:$workdir/floor" JavaFloor "$ep" "$bucket" "$k/" 16) ;;
    curl) mapfile -t keys < "$workdir/$k.keys"; cmd=("$0" __curl_fetch "$ep" "$bucket" "$k/" "$d/$k" "${keys[@]}") ;;
    *) echo "bench: unknown client '$c'" >&2; exit 2 ;;
  esac
}

gets_so_far() { grep -c "request: .*{GET@[0-9a-f]* $ep/$bucket/$1/" "$workdir/s3proxy.log" || true; }
# Machine-wide busy CPU seconds so far (all processes): the part not used by the client or S3Proxy
# during a run is other load on the machine, reported per run as other_cpu_s.
machine_cpu() { awk -v t="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f", ($2+$3+$4+$7+$8+$9)/t}' /proc/stat; }
wait_quiet() { # up to $quiet_wait s for a 1 s window with the machine < 25% busy
  local deadline=$(( $(date +%s) + quiet_wait )) a b
  while [ "$(date +%s)" -lt "$deadline" ]; do
    a="$(machine_cpu)"; sleep 1; b="$(machine_cpu)"
    awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN{exit !((b-a)/n < 0.25)}' && return 0
  done
}
server_cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/t}' "/proc/$s3p_pid/stat"; }

tsv="$res/runs.tsv"
[ -f "$tsv" ] || printf 'case\tclient\tround\twall_s\trss_kib\tuser_s\tsys_s\texit\tverified\tgets\tserver_cpu_s\tload1\tbytes\tstarted\tother_cpu_s\n' > "$tsv"

# run_one LABEL PREFIX CLIENT ROUND MODE: one timed run, then a sha256 check of every file (untimed).
# MODE fresh empties the destination first; keep runs into whatever is there (the rerun case).
run_one() {
  local label="$1" k="$2" c="$3" r="$4" mode="$5" tfile="$stage/time.$$" report="$res/report-$1-$3-$4.json"
  local load g0 g1 s0 s1 m0 m1 other rc verified bytes wall rss user sys
  if [ "$mode" = fresh ]; then rm -rf "$dest"; fi
  mkdir -p "$dest"
  client_cmd "$c" "$k" "$dest" "$report"
  sync
  [ "$quiet_wait" -gt 0 ] && wait_quiet
  load="$(cut -d' ' -f1 /proc/loadavg)"
  g0="$(gets_so_far "$k")"; s0="$(server_cpu)"; m0="$(machine_cpu)"
  rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$tfile" timeout "$client_timeout" "${cmd[@]}" > "$res/log-$label-$c-$r.txt" 2>&1 || rc=$?
  g1="$(gets_so_far "$k")"; s1="$(server_cpu)"; m1="$(machine_cpu)"
  read -r wall rss user sys < <(tail -n 1 "$tfile")
  if [ "$c" = jvm-start ] || [ "$c" = java-floor ]; then # nothing written
    verified=n/a; bytes=0
  else
    if (cd "$dest/$k" 2>/dev/null && sha256sum -c --quiet --strict "$workdir/$k.sha256" >/dev/null 2>&1); then verified=ok; else verified=FAIL; fi
    bytes=$(awk '{print $2}' "$workdir/$k.sha256" | (cd "$dest/$k" 2>/dev/null && xargs stat -c %s 2>/dev/null) | awk '{s+=$1} END{print s+0}')
  fi
  other="$(awk -v m="$((0))" -v a="$m0" -v b="$m1" -v s0="$s0" -v s1="$s1" -v u="$user" -v y="$sys" 'BEGIN{o=(b-a)-(s1-s0)-u-y; printf "%.2f", o<0?0:o}')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$c" "$r" "$wall" "$rss" "$user" "$sys" "$rc" "$verified" \
    $(( g1 - g0 )) "$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')" "$load" "${bytes:-0}" "$(date +%H:%M:%S)" "$other" >> "$tsv"
  log "$label $c round $r: ${wall}s rss ${rss}KiB cpu $(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')s exit $rc sha256 $verified GETs $(( g1 - g0 )) server-cpu $(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')s other-cpu ${other}s load $load"
}

rotate() { # rotate CSV N: the list as words, starting at element N mod length
  local -a a; IFS=, read -r -a a <<< "$1"; local n=${#a[@]} i
  for i in $(seq 0 $(( n - 1 ))); do printf '%s ' "${a[$(( ($2 + i) % n ))]}"; done
}

# ---------------------------------------------------------------- cases
seed_model
# The first run of a jar on a machine records its class-data-sharing archive (see ./prefetch); do it
# here, untimed, as an installation would, on the model's small files only.
log "warm-up: one untimed model-prefetch run of the configs, which writes the launcher's class-data-sharing archive"
env AWS_ENDPOINT_URL="$ep" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  "${launch[@]}" run --model-uri "s3://$bucket/model/" --include '*.json' --local-dir "$workdir/warmup" >/dev/null 2>&1 \
  || log "warm-up run failed (the measured runs will show why)"
rm -rf "$workdir/warmup"
active="$clients"
if [ "$prefetch_has_verify" = 0 ] && [[ ",$clients," == *",prefetch-size,"* ]]; then
  log "model-prefetch has no --verify option: skipping client prefetch-size"
  active="$(echo ",$clients," | sed 's/,prefetch-size,/,/; s/^,//; s/,$//')"
fi
if [ "$runs" -gt 0 ]; then
  log "case model ($size_mib MiB): $runs rounds, clients in rotating order: $active"
  for r in $(seq 1 "$runs"); do
    for c in $(rotate "$active" $(( r - 1 ))); do run_one "model-$size_mib" model "$c" "$r" fresh; done
  done
fi

if [ "$profile" = 1 ]; then
  log "profiling one model-prefetch run with JFR -> $res/prefetch.jfr"
  saved_opts="$prefetch_java_opts"
  prefetch_java_opts="$saved_opts -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:StartFlightRecording=filename=$res/prefetch.jfr,settings=profile"
  launch
  run_one "profile-$size_mib" model prefetch 1 fresh
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
  log "case rerun: model-prefetch again into a destination that already holds the complete model"
  rm -rf "$dest"; mkdir -p "$dest"
  client_cmd prefetch model "$dest" "$res/report-rerun-setup.json"
  "${cmd[@]}" > "$res/log-rerun-setup.txt" 2>&1
  for r in $(seq 1 "$rerun_runs"); do
    run_one rerun model jvm-start "$r" keep
    run_one rerun model prefetch "$r" keep
  done
fi

if [ "$small_files" -gt 0 ]; then
  seed_small
  # The floor of a JVM client: bench/JavaFloor.java lists with the SDK and GETs, writing nothing.
  rm -rf "$workdir/floor"; javac -cp "$jar" -d "$workdir/floor" "$here/JavaFloor.java"
  log "case small: $small_files files, ${small_runs:-$runs} rounds, model-prefetch vs rclone (and the JVM floor)"
  for r in $(seq 1 "${small_runs:-$(( runs > 0 ? runs : 1 ))}"); do
    for c in $(rotate "prefetch,rclone,java-floor$(echo ",$active" | grep -o ',prefetch+[^,]*' | tr -d '\n')" $(( r - 1 ))); do run_one "small-$small_files" small "$c" "$r" fresh; done
  done
fi
rm -rf "$dest"

# ---------------------------------------------------------------- summary
summarize
log "raw rows: $tsv; summary: $res/summary.md"
