/**
 * Digests and stored evidence: ETags and multipart MD5 layouts, S3 checksums (CRC64NVME, CRC32C,
 * CRC32, SHA), combinable CRCs and the digest plan of an object. Depends on nothing else here.
 */
@NullMarked
package io.modelprefetch.transforms.verify;

import org.jspecify.annotations.NullMarked;
