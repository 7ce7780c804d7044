package io.modelprefetch.transforms.s3;

import io.modelprefetch.transforms.text.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Refuses a successful listing answer that is not S3's XML. A captive portal, or a proxy's login
 * page, answers {@code 200 text/html}; the SDK's parser finds no object in it, and the run would
 * report an empty prefix. Such an answer fails the listing instead, naming the endpoint, the
 * content type and the first bytes that came back. Object bodies are never looked at.
 */
final class ListingAnswers implements ExecutionInterceptor {

  private static final Set<String> LISTINGS = Set.of("ListObjectsV2", "ListObjects");

  /** What every such failure's message says. */
  static final String NOT_S3 = " did not answer as S3: ";

  private static final int SHOWN_BYTES = 120;

  @Override
  public Optional<InputStream> modifyHttpResponseContent(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Optional<InputStream> body = context.responseBody();
    SdkHttpResponse response = context.httpResponse();
    if (!LISTINGS.contains(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
        || !response.isSuccessful()) {
      return body;
    }
    String type = response.firstMatchingHeader("Content-Type").orElse(null);
    if (type == null || type.toLowerCase(Locale.ROOT).contains("xml")) {
      return body;
    }
    throw SdkClientException.create(
        notS3(
            endpoint(context.httpRequest()),
            attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
            response.statusCode(),
            type,
            body.map(ListingAnswers::start).orElse("")));
  }

  /** The one line that says an endpoint did not answer as S3. */
  static String notS3(
      String endpoint, String operation, int status, String contentType, String bodyStart) {
    return "the endpoint "
        + endpoint
        + NOT_S3
        + operation
        + " got HTTP "
        + status
        + " with Content-Type '"
        + Printable.oneLine(contentType)
        + "'"
        + (bodyStart.isEmpty()
            ? " and no body"
            : " and a body starting '" + Printable.escape(bodyStart) + "'")
        + " instead of S3's XML; check the endpoint URL, and any proxy or login page (a captive portal) between"
        + " this machine and the store";
  }

  private static String endpoint(SdkHttpRequest request) {
    int port = request.port();
    boolean defaultPort =
        (port == 80 && "http".equals(request.protocol()))
            || (port == 443 && "https".equals(request.protocol()));
    return request.protocol()
        + "://"
        + request.host()
        + (defaultPort || port < 0 ? "" : ":" + port);
  }

  private static String start(InputStream body) {
    try (body) {
      byte[] first = body.readNBytes(SHOWN_BYTES);
      return new String(first, StandardCharsets.UTF_8).replace("\uFFFD", "?");
    } catch (IOException e) {
      return "";
    }
  }
}
