#!/bin/bash
# probe.sh KEY: what S3Proxy returns for bkt/KEY on HEAD, GET, ranged GET, GetObjectAttributes, partNumber.
. "$(dirname "$0")/env.sh"
k="$1"
c() { curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
f() { grep -iE '^(HTTP|etag|x-amz-checksum|content-length|content-range|x-amz-mp-parts-count)' | tr -d '\r'; }
echo "== HEAD (checksum mode ENABLED)"; c -I -H "x-amz-checksum-mode: ENABLED" "$EP/bkt/$k" | f
echo "== HEAD (no checksum mode)"; c -I "$EP/bkt/$k" | f
echo "== GET whole (checksum mode)"; c -D - -o /dev/null -H "x-amz-checksum-mode: ENABLED" "$EP/bkt/$k" | f
echo "== GET Range bytes=0-99 (checksum mode)"; c -D - -o /dev/null -H "x-amz-checksum-mode: ENABLED" -H "Range: bytes=0-99" "$EP/bkt/$k" | f
echo "== GET Range bytes=0- (checksum mode)"; c -D - -o /dev/null -H "x-amz-checksum-mode: ENABLED" -H "Range: bytes=0-" "$EP/bkt/$k" | f
echo "== GetObjectAttributes"; c -D - -H "x-amz-object-attributes: ETag,Checksum,ObjectParts,ObjectSize" "$EP/bkt/$k?attributes=" | tr -d '\r' | grep -v '^$' | grep -iE '^HTTP|<' | cut -c1-400
echo; echo "== HEAD ?partNumber=1 (checksum mode)"; c -I -H "x-amz-checksum-mode: ENABLED" "$EP/bkt/$k?partNumber=1" | f
