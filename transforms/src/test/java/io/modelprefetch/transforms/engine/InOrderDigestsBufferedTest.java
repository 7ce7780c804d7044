package io.modelprefetch.transforms.engine;

/** The cases of {@link InOrderDigestsTest} with buffered read-backs ({@code --direct-io false}). */
class InOrderDigestsBufferedTest extends InOrderDigestsTest {
  @Override
  boolean directIo() {
    return false;
  }
}
