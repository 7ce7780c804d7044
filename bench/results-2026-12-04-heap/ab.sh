#!/usr/bin/env bash
# ab.sh ROUNDS EP EXTRA_ARGS... ; variants from $VARIANTS (name=flags;name=flags)
rounds=$1 ep=$2; shift 2
E="env AWS_ENDPOINT_URL=$ep AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret"
IFS=';' read -ra vs <<< "$VARIANTS"
for r in $(seq "$rounds"); do
  for v in "${vs[@]}"; do
    name="${v%%=*}" flags="${v#*=}"
    rm -rf /tmp/fx/dab
    /usr/bin/time -f "%e %U %S %M" $E java $flags -jar ${JAR:-/tmp/bench-wan/mp-new.jar} run --model-uri ${URI:-s3://bench/model-aws/} --local-dir /tmp/fx/dab "$@" >/dev/null 2>/tmp/fx/ab.err
    ok=$( (cd /tmp/fx/dab/${MODEL:-model-aws} && sha256sum -c --quiet ${SUMS:-/tmp/bench-wan/model-aws.sha256} >/dev/null 2>&1) && echo ok || echo BAD)
    echo "$r $name $(tail -1 /tmp/fx/ab.err | awk '{printf "wall %.2f cpu %.2f rss %d", $1, $2+$3, $4/1024}') $ok"
  done
done
