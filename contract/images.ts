/**
 * A container image named by digest: `name[:tag]@sha256:<64 hex>`. A tag alone can be moved under a
 * running pod; the digest decides what runs (the tag, if any, is only a label).
 */
export const IMAGE_BY_DIGEST = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/;
