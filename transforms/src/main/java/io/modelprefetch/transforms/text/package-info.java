/**
 * Text that is safe to print: control characters escaped, secrets redacted. Depends on nothing else
 * here.
 */
package io.modelprefetch.transforms.text;
