import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The least a JVM client does for many small objects: list them with the AWS SDK, then GET each
 * whole, signed by the SDK's SigV4 signer, over the JDK's keep-alive HTTP client, on a pool of
 * threads, and count the bytes. No Beam, nothing written, nothing verified. Its wall and CPU time
 * bound from below what model-prefetch, which does all of that on top, can reach on a machine.
 * Run from the repository root after a build, with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set:
 *
 * <pre>
 * javac -cp runners/target/model-prefetch.jar -d /tmp/floor bench/JavaFloor.java
 * java -Xshare:auto -XX:+UseSerialGC -cp runners/target/model-prefetch.jar:/tmp/floor JavaFloor \
 *     http://127.0.0.1:PORT BUCKET PREFIX [THREADS]
 * </pre>
 *
 * <p>Compiled apart, so that the compiler's own work is not counted. Times start at {@code main}.
 */
public class JavaFloor {
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    String endpoint = args[0];
    String bucket = args[1];
    String prefix = args[2];
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    String region = System.getenv().getOrDefault("AWS_REGION", "us-east-1");
    AwsCredentials credentials = DefaultCredentialsProvider.builder().build().resolveCredentials();
    List<S3Object> objects = new ArrayList<>();
    try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.of(region))
        .forcePathStyle(true).credentialsProvider(() -> credentials)
        .build()) {
      s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().forEach(objects::add);
    }
    long listed = System.nanoTime();
    AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    AtomicLong bytes = new AtomicLong();
    // Daemon threads: the first failed GET ends the run (no retries here) instead of leaving it hung.
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    List<Future<?>> gets = new ArrayList<>();
    for (S3Object object : objects) {
      gets.add(pool.submit(() -> {
        URI uri = URI.create(endpoint + "/" + bucket + "/" + object.key());
        SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).uri(uri)
            .putHeader("Range", "bytes=0-" + (object.size() - 1)).putHeader("If-Match", object.eTag()).build();
        var signed = signer.sign(r -> r.identity(credentials).request(request)
            .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
            .putProperty(AwsV4HttpSigner.REGION_NAME, region)
            .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false));
        HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        signed.request().forEachHeader((name, values) -> {
          if (!name.equalsIgnoreCase("Host")) {
            connection.setRequestProperty(name, values.get(0));
          }
        });
        if (connection.getResponseCode() / 100 != 2) {
          throw new IOException(object.key() + ": HTTP " + connection.getResponseCode());
        }
        byte[] buffer = new byte[64 << 10];
        long n = 0;
        try (InputStream in = connection.getInputStream()) {
          for (int r; (r = in.read(buffer)) > 0; ) {
            n += r;
          }
        }
        bytes.addAndGet(n);
        return null;
      }));
    }
    for (Future<?> get : gets) {
      get.get();
    }
    pool.shutdown();
    long done = System.nanoTime();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    System.out.printf("%d objects, %d bytes, %d threads: listing %.2f s, GETs %.2f s, from main %.2f s, CPU %.2f s%n",
        objects.size(), bytes.get(), threads, (listed - start) / 1e9, (done - listed) / 1e9, (done - start) / 1e9,
        os.getProcessCpuTime() / 1e9);
  }
}
