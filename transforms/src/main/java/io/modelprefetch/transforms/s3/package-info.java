/**
 * Talking to the object store: endpoint resolution (AWS, TOS and custom endpoints, path or
 * virtual-host addressing), the shared SDK clients built from a {@link
 * io.modelprefetch.transforms.model.ClientRecipe}, listing answers, error mapping, and the JDK
 * client for small GETs.
 */
@NullMarked
package io.modelprefetch.transforms.s3;

import org.jspecify.annotations.NullMarked;
