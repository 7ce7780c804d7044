package io.modelprefetch.transforms.storage;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.ModelKey;
import io.modelprefetch.transforms.model.ObjectRef;
import io.modelprefetch.transforms.plan.DestinationPaths;
import io.modelprefetch.transforms.s3.InProcessCredentials;
import io.modelprefetch.transforms.verify.Etags;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * Destinations on a Hadoop file system ({@code s3a://}, {@code hdfs://}, {@code file://}), which
 * cannot be written at random offsets.
 *
 * <p>The strategy: each object is fetched whole by one worker, its ranges in parallel into a
 * node-local staging file, verified there, then copied to the destination. On HDFS and local file
 * systems the copy goes to a temporary name under the model's {@code .prefetch/parts/} and is
 * renamed (atomic). On S3A, where a rename is a copy, the copy goes straight to the final key: an
 * S3 object becomes visible only when its upload completes, so no partial file is ever seen. The
 * AIBrix sidecar is written after the file, the completion marker last. An {@code s3a://}
 * destination takes its endpoint, region and addressing from the same resolved client configuration
 * as an {@code s3://} source.
 */
public final class HadoopFiles {

  private static final Pattern URI_DIR = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://.*");

  private HadoopFiles() {}

  /** True when {@code dir} is a URI ({@code s3a://b/p}) rather than a local path. */
  public static boolean isUri(String dir) {
    return URI_DIR.matcher(dir).matches();
  }

  public static Path target(ModelKey model, String relativePath) {
    return new Path(model.modelDir() + "/" + relativePath);
  }

  public static Path metadata(ModelKey model, ObjectRef object) {
    return new Path(
        model.modelDir()
            + "/"
            + DestinationPaths.CACHE_DIR
            + "/"
            + object.scheme().name().toLowerCase(Locale.ROOT)
            + "/download/"
            + object.relativePath()
            + ".metadata");
  }

  /**
   * The file system of {@code model}'s folder, configured from its recipe (S3A) and this worker's
   * keys.
   */
  public static FileSystem fileSystem(ModelKey model) throws IOException {
    URI uri = URI.create(model.modelDir());
    Configuration conf = new Configuration();
    ClientRecipe recipe = model.destination();
    if ("s3a".equals(uri.getScheme()) && recipe != null) {
      if (recipe.endpoint() != null) {
        conf.set("fs.s3a.endpoint", recipe.endpoint());
        conf.setBoolean("fs.s3a.connection.ssl.enabled", recipe.endpoint().startsWith("https://"));
      }
      conf.set("fs.s3a.endpoint.region", recipe.region());
      conf.setBoolean("fs.s3a.path.style.access", recipe.pathStyle());
      AwsCredentials keys = InProcessCredentials.resolve(recipe.credentials());
      if (keys != null) {
        // In this JVM's memory only, like the source client's keys: never in options or the graph.
        conf.set("fs.s3a.access.key", keys.accessKeyId());
        conf.set("fs.s3a.secret.key", keys.secretAccessKey());
        if (keys instanceof AwsSessionCredentials session) {
          conf.set("fs.s3a.session.token", session.sessionToken());
        }
      }
    }
    FileSystem fs = FileSystem.newInstance(uri, conf);
    // The tool verifies with its own evidence; no .crc side files next to the model's files.
    fs.setWriteChecksum(false);
    return fs;
  }

  /**
   * True when the destination holds this object already: same size, and the sidecar has its ETag.
   */
  public static boolean isPresent(FileSystem fs, ObjectRef object) {
    try {
      FileStatus status = fs.getFileStatus(target(object.model(), object.relativePath()));
      if (!status.isFile() || status.getLen() != object.sizeBytes()) {
        return false;
      }
      String recorded;
      try (InputStream in = fs.open(metadata(object.model(), object))) {
        recorded = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return !Etags.normalize(object.etag()).isEmpty()
          && Etags.normalize(recorded).equals(Etags.normalize(object.etag()));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Copies the verified staging file of {@code staged} to {@code destination} and records its ETag;
   * the staging file is removed.
   */
  public static void publish(FileSystem fs, ModelKey destination, ObjectRef staged)
      throws IOException {
    Path target = target(destination, staged.relativePath());
    boolean s3 = "s3a".equals(fs.getUri().getScheme());
    // Not next to the target: a key may have any name there, never one under .prefetch/.
    Path written =
        s3
            ? target
            : new Path(
                destination.modelDir()
                    + "/"
                    + LocalFiles.PARTS
                    + "/"
                    + LocalFiles.temporaryName(staged));
    try (InputStream in = Files.newInputStream(LocalFiles.temporary(staged));
        FSDataOutputStream out = fs.create(written, true)) {
      in.transferTo(out);
      out.hsync();
    }
    if (!s3) {
      fs.mkdirs(target.getParent());
      fs.delete(target, false);
      if (!fs.rename(written, target)) {
        throw new IOException("cannot rename " + written + " to " + target);
      }
    }
    writeString(fs, metadata(destination, staged), staged.etag() == null ? "" : staged.etag());
    LocalFiles.discard(staged);
  }

  public static void writeString(FileSystem fs, Path path, String text) throws IOException {
    try (OutputStream out = fs.create(path, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
