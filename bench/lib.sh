# Shell functions the bench scripts (run.sh, tls.sh, warm.sh) share; source it after setting $here
# (this folder) and $root (the repository).

# The median of the numbers on stdin, one a line; "-" when there are none or they are "-".
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (a[1]=="-") print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# image_archive JAR DIR: the Dockerfile's class-data-sharing step on JAR, one untimed demo run that
# records DIR/model-prefetch.jsa, and DIR/jvm.options, configs/jvm.options plus the lines that map
# it, as the image's; fails when the demo run does.
image_archive() {
  java @"$root/configs/jvm.options" -Xlog:cds*=error:stderr -XX:ArchiveClassesAtExit="$2/model-prefetch.jsa" \
    -jar "$1" demo --local-dir "$2/training/models" >/dev/null 2>&1 || return 1
  rm -rf "$2/training"
  { cat "$root/configs/jvm.options"; printf '%s\n' "-XX:SharedArchiveFile=$2/model-prefetch.jsa" -Xshare:auto; } \
    > "$2/jvm.options"
}

# proc_cpu PID: the user + sys CPU seconds process PID has spent, all its threads.
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / t }' "/proc/$1/stat"; }

# start_wan_proxy CLASSES LOG LISTEN UPSTREAM_PORT LATENCY_MS MBPS RPS CONTROL_PORT: bench/WanProxy.java
# (compiled into CLASSES when missing or older than its source) on 127.0.0.1:LISTEN in front of
# 127.0.0.1:UPSTREAM_PORT, its output in LOG; sets $proxy_pid once it listens, or exits 1 after 30 s
# or when it dies.
start_wan_proxy() {
  local classes="$1" out="$2" deadline=$(( $(date +%s) + 30 ))
  if [ ! -f "$classes/WanProxy.class" ] || [ "$here/WanProxy.java" -nt "$classes/WanProxy.class" ]; then
    rm -rf "$classes"; javac -d "$classes" "$here/WanProxy.java"
  fi
  : > "$out"
  # C1 only and a small serial heap: it moves bytes between sockets, on the same 2 cores as the rest.
  java -XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1 -cp "$classes" WanProxy --listen "$3" \
    --upstream "127.0.0.1:$4" --latency-ms "$5" --mbps "$6" --rps "$7" --control "$8" > "$out" 2>&1 &
  proxy_pid=$!
  until grep -q '^WanProxy listening' "$out"; do
    if ! kill -0 "$proxy_pid" 2>/dev/null; then
      echo "bench: the WAN proxy exited: $(cat "$out")" >&2; proxy_pid=""; exit 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { echo "bench: the WAN proxy did not start within 30 s; see $out" >&2; exit 1; }
    sleep 0.1
  done
}

# The side-by-side runs of bench/tls.sh and bench/warm.sh: rows client, round, wall_s, cpu_s,
# rss_mib, sha256 in $res/runs.tsv; each run starts from an empty $dest and its tree
# $dest/$model is checked against $workdir/$model.sha256 afterwards.
runs_header() { printf 'client\tround\twall_s\tcpu_s\trss_mib\tsha256\n' > "$res/runs.tsv"; }

# tree_ok: "ok" when $dest/$model holds exactly the files of $workdir/$model.sha256, else "FAIL".
tree_ok() {
  if (cd "$dest/$model" 2>/dev/null && sha256sum -c --quiet --strict "$workdir/$model.sha256" >/dev/null 2>&1); then
    echo ok
  else
    echo FAIL
  fi
}

# run_one NAME ROUND COMMAND...: one timed run of COMMAND (GNU time: wall, user + sys CPU of its
# process tree, peak RSS), output in $res/log-NAME-ROUND.txt, then its row. A client that writes
# no tree (a floor) runs as `written=no run_one ...`: its sha256 column is "-".
run_one() {
  local name="$1" round="$2" wall user sys rss
  shift 2
  rm -rf "$dest"; mkdir -p "$dest"; sync
  /usr/bin/time -f '%e %U %S %M' -o "$res/time" "$@" > "$res/log-$name-$round.txt" 2>&1 || true
  read -r wall user sys rss < <(tail -1 "$res/time")
  printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$name" "$round" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))" \
    "$(if [ "${written:-yes}" = no ]; then echo -; else tree_ok; fi)" | tee -a "$res/runs.tsv"
}

# runs_summary: the medians of $res/runs.tsv per client, as a markdown table, also in $res/summary.md.
runs_summary() {
  {
    echo "| client | runs | sha256 | median wall s | median CPU s | median peak RSS MiB |"
    echo "|---|---|---|---|---|---|"
    awk -F'\t' 'NR > 1 { print $1 }' "$res/runs.tsv" | awk '!seen[$0]++' | while read -r name; do
      med() { awk -F'\t' -v n="$name" -v c="$1" 'NR > 1 && $1 == n { print $c }' "$res/runs.tsv" | median; }
      ok="$(awk -F'\t' -v n="$name" 'NR > 1 && $1 == n { if ($6 == "ok") good++; else if ($6 != "-") bad++ } END { print (bad ? "FAIL" : good ? "ok" : "-") }' "$res/runs.tsv")"
      echo "| $name | $(awk -F'\t' -v n="$name" 'NR > 1 && $1 == n' "$res/runs.tsv" | wc -l) | $ok | $(med 3) | $(med 4) | $(med 5) |"
    done
  } | tee "$res/summary.md"
}

# rclone_for EP: sets the array $rclone to rclone at its defaults for bucket "bench" at EP with
# the caller's $key and $secret (no config file; path-style addressing, as S3Proxy needs):
#   "${rclone[@]}" copy "bench:bench/$model" "$dest/$model"
rclone_for() {
  rclone=(env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$key" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$secret"
    RCLONE_CONFIG_BENCH_ENDPOINT="$1" RCLONE_CONFIG_BENCH_REGION=us-east-1 RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
    rclone --config /dev/null --transfers 4 --multi-thread-streams 4)
}
