# The model-prefetch image: a Java 17 runtime, the CLI (model-prefetch.jar) and the Flink job jar
# in /opt/model-prefetch, started with the JVM settings every run uses (configs/jvm.options, the
# file ./prefetch uses too), as a non-root user, in a UTF-8 locale. Build it from the packaged jars:
#
#   mvn -B -DskipTests package && docker build -t model-prefetch:0.1.0 .
#
# Then: docker run --rm -e AWS_ENDPOINT_URL=... -v /models:/models model-prefetch:0.1.0 \
#         --model-uri s3://bucket/prefix/ --local-dir /models
FROM eclipse-temurin:17-jre

# Java 17 takes its file-name and file-content encoding from the locale: without a UTF-8 one (a bare
# image's is POSIX, ASCII), a key such as "模型/config.json" could not become a file name.
ENV LANG=C.UTF-8 \
    LC_ALL=C.UTF-8

# A numeric user, so that Kubernetes' runAsNonRoot can check it; its home is the working folder.
RUN groupadd --system --gid 65532 prefetch \
 && useradd --system --uid 65532 --gid 65532 --home-dir /home/prefetch --create-home --shell /usr/sbin/nologin prefetch

COPY configs/jvm.options /opt/model-prefetch/jvm.options
COPY runners/target/model-prefetch-flink-job.jar /opt/model-prefetch/model-prefetch-flink-job.jar
COPY runners/target/model-prefetch.jar /opt/model-prefetch/model-prefetch.jar

# Start-up: an AppCDS archive of the classes a run loads, recorded here by one run of `demo` (an
# embedded S3 server on 127.0.0.1 and a small model, fetched and verified), so that every container
# maps them instead of loading and verifying each one again: 0.6 s and 0.8 CPU-s less per run
# (docs/BENCHMARKS.md, 2026-12-04). It fits only this runtime and this jar, which is why it is made
# in the image and named in the image's copy of jvm.options only.
RUN java @/opt/model-prefetch/jvm.options -Xlog:cds*=error:stderr \
      -XX:ArchiveClassesAtExit=/opt/model-prefetch/model-prefetch.jsa \
      -jar /opt/model-prefetch/model-prefetch.jar demo --local-dir /tmp/cds-training/models >/dev/null \
 && rm -rf /tmp/cds-training \
 && printf '%s\n' '# The image: its class-data-sharing archive (see the Dockerfile)' \
      '-XX:SharedArchiveFile=/opt/model-prefetch/model-prefetch.jsa' '-Xshare:auto' \
      >> /opt/model-prefetch/jvm.options

USER 65532:65532
WORKDIR /home/prefetch
ENTRYPOINT ["java", "@/opt/model-prefetch/jvm.options", "-jar", "/opt/model-prefetch/model-prefetch.jar"]
CMD ["--help"]
