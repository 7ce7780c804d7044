# Shell functions bench/run.sh and bench/tls.sh share; source it after setting $root (the repository).

# The median of the numbers on stdin, one a line; "-" when there are none or they are "-".
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (a[1]=="-") print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# image_archive JAR DIR: the Dockerfile's class-data-sharing step on JAR, one untimed demo run that
# records DIR/model-prefetch.jsa; fails when the demo run does.
image_archive() {
  java @"$root/configs/jvm.options" -Xlog:cds*=error:stderr -XX:ArchiveClassesAtExit="$2/model-prefetch.jsa" \
    -jar "$1" demo --local-dir "$2/training/models" >/dev/null 2>&1 || return 1
  rm -rf "$2/training"
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
# process tree, peak RSS), output in $res/log-NAME-ROUND.txt, then its row.
run_one() {
  local name="$1" round="$2" wall user sys rss
  shift 2
  rm -rf "$dest"; mkdir -p "$dest"; sync
  /usr/bin/time -f '%e %U %S %M' -o "$res/time" "$@" > "$res/log-$name-$round.txt" 2>&1 || true
  read -r wall user sys rss < <(tail -1 "$res/time")
  printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$name" "$round" "$wall" "$(echo "$user + $sys" | bc)" "$((rss / 1024))" \
    "$(tree_ok)" | tee -a "$res/runs.tsv"
}

# runs_summary: the medians of $res/runs.tsv per client, as a markdown table, also in $res/summary.md.
runs_summary() {
  {
    echo "| client | runs | sha256 | median wall s | median CPU s | median peak RSS MiB |"
    echo "|---|---|---|---|---|---|"
    awk -F'\t' 'NR > 1 { print $1 }' "$res/runs.tsv" | awk '!seen[$0]++' | while read -r name; do
      med() { awk -F'\t' -v n="$name" -v c="$1" 'NR > 1 && $1 == n { print $c }' "$res/runs.tsv" | median; }
      ok="$(awk -F'\t' -v n="$name" 'NR > 1 && $1 == n && $6 != "ok" { bad++ } END { print (bad ? "FAIL" : "ok") }' "$res/runs.tsv")"
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
