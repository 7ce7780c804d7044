import boto3, logging, sys, io
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
sent = []
def hook(request, **kw):
    h = {k: v for k, v in request.headers.items() if 'checksum' in k.lower() or k.lower() in ('content-md5', 'x-amz-trailer', 'content-encoding', 'x-amz-content-sha256')}
    sent.append((request.method, request.url.split('?', 1)[-1][:60] if '?' in request.url else '', h))
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:18990', region_name='us-east-1')
s3.meta.events.register('before-send.s3.*', hook)
def up(path, key, cfg=None):
    sent.clear()
    s3.upload_file(path, 'bkt', key, Config=cfg) if cfg else s3.upload_file(path, 'bkt', key)
    print('##', key)
    seen = set()
    for m, q, h in sent:
        kind = q.split('&')[0].split('=')[0] if q else ''
        k = (m, kind, tuple(sorted(h)))
        if k in seen: continue
        seen.add(k); print('  ', m, q, {kk: (vv.decode() if isinstance(vv, bytes) else vv) for kk, vv in h.items()})
up('files/small.bin', 'boto3/small.bin')
up('files/medium.bin', 'boto3/medium.bin')
up('files/medium.bin', 'boto3/medium-5m.bin', TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))
