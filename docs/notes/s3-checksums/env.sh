# Sourced by probe.sh: the S3Proxy of these notes (credentials are S3Proxy's test identity, not secrets).
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE   # the environment's bundle is for https; rclone and curl refuse it on http://
EP=http://127.0.0.1:18990
