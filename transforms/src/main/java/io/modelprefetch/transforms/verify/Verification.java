package io.modelprefetch.transforms.verify;

/** What a fetched file is checked against. */
public enum Verification {
  /**
   * Every object by at least one digest the store keeps, the cheapest sufficient one (a CRC the
   * store keeps before a SHA before an MD5; see {@code DigestPlan}), and a manifest's sha256.
   */
  FULL,
  /** Every digest the store keeps and the manifest gives, however much each costs. */
  ALL,
  /**
   * The size alone, and a manifest's sha256 where one is given: no digest is computed while the
   * bytes pass nor read back, like {@code rclone --ignore-checksum}.
   */
  SIZE
}
