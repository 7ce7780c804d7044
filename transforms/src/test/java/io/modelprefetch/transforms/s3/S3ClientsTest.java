package io.modelprefetch.transforms.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.model.ClientRecipe;
import io.modelprefetch.transforms.model.CredentialsSource;
import org.junit.jupiter.api.Test;

/** Which endpoints need the CA bundle's trust. */
class S3ClientsTest {

  private static ClientRecipe endpoint(String endpoint) {
    return new ClientRecipe(
        endpoint,
        "us-east-1",
        true,
        true,
        CredentialsSource.of(CredentialsSource.Type.ANONYMOUS),
        "/etc/ssl/certs/ca.pem",
        4);
  }

  @Test
  void onlyPlainHttpEndpointsDoWithoutTls() {
    assertEquals(false, S3Clients.usesTls(endpoint("http://127.0.0.1:9000")));
    assertEquals(false, S3Clients.usesTls(endpoint("HTTP://minio.local")));
    assertEquals(true, S3Clients.usesTls(endpoint("https://tos-s3-cn-beijing.volces.com")));
    assertEquals(true, S3Clients.usesTls(endpoint(null)), "AWS's own endpoints are https");
  }
}
