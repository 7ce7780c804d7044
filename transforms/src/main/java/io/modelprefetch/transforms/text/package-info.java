/**
 * Text that is safe to print: control characters escaped, secrets redacted. Depends on nothing else
 * here.
 */
@NullMarked
package io.modelprefetch.transforms.text;

import org.jspecify.annotations.NullMarked;
