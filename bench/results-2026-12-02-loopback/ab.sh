#!/usr/bin/env bash
cd /tmp/bench-ab
java -Xms256m -Xmx1g -jar s3proxy/s3proxy-4.1.0-jar-with-dependencies.jar --properties s3proxy.properties > /tmp/ab-s3proxy.log 2>&1 &
sp=$!
until curl -s -o /dev/null http://127.0.0.1:28795/; do sleep 0.5; done
export AWS_ENDPOINT_URL=http://127.0.0.1:28795 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret
cat data/bench/model/* > /dev/null 2>&1
for round in 1 2 3; do
  for v in old new; do
    jar=/tmp/old/runners/target/model-prefetch.jar; [ $v = new ] && jar=/work/main/runners/target/model-prefetch.jar
    for mode in size full; do
      rm -rf /tmp/ab-dest; sync
      /usr/bin/time -f "$v $mode round $round: %e s wall %U user %S sys %M KiB" java @/work/main/configs/jvm.options -jar $jar run \
        --model-uri s3://bench/model/ --local-dir /tmp/ab-dest --verify $mode > /tmp/ab-$v-$mode-$round.log 2>&1
      tail -1 /tmp/ab-$v-$mode-$round.log
    done
  done
done
kill $sp
