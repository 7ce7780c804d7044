/**
 * The destination: local and Hadoop file systems, the safe model folder (no write through a
 * symlink), range writers and their read-backs, the resume journal, the model lock, the completion
 * marker and the AIBrix-compatible sidecars.
 */
@NullMarked
package io.modelprefetch.transforms.storage;

import org.jspecify.annotations.NullMarked;
