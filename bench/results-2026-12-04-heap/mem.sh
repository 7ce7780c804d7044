#!/usr/bin/env bash
# mem.sh RUNS OPTIONSFILE LABEL [extra java flags]: run --every over the WAN proxy; VmRSS + NMT after each run
runs=$1 opts=$2 label=$3; shift 3
rm -rf /tmp/fx/dm; mkdir -p /tmp/fx/dm
env AWS_ENDPOINT_URL=http://127.0.0.1:28766 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret \
  java @$opts -XX:NativeMemoryTracking=summary "$@" -jar ${JAR:-/tmp/bench-wan/mp-new.jar} run --model-uri s3://bench/model-aws/ --local-dir /tmp/fx/dm \
  --force-download --every ${EVERY:-1ms} --every-runs $runs --progress-interval 0 > /dev/null 2> /tmp/fx/mem-$label.log &
pid=$!
n=0
while kill -0 $pid 2>/dev/null; do
  c=$(grep -c "^model-prefetch: run " /tmp/fx/mem-$label.log)
  if [ "$c" -gt "$n" ]; then
    n=$c
    [ -z "$GC" ] || jcmd $pid GC.run >/dev/null 2>&1
    sleep ${SETTLE:-0}
    rss=$(awk '/^VmRSS:/ {print int($2/1024)}' /proc/$pid/status 2>/dev/null)
    heap=$(jcmd $pid VM.native_memory summary 2>/dev/null | grep -E "^-\s+(Java Heap|Other|Metaspace|Code|Class)" | sed -E 's/.*\((reserved=[0-9]+KB, )?committed=([0-9]+)KB.*/\2/' | tr '\n' ' ')
    echo "$label run $n: VmRSS $rss MiB; committed KB (heap class code other...): $heap"
  fi
  sleep 0.1
done
