#ifndef ETRANGE_CIMAGE_H
#define ETRANGE_CIMAGE_H

#include <stddef.h>

/// What a handout's bytes were recognised as, before libvips sees them.
typedef enum {
    ETR_IMAGE_PNG = 1,
    ETR_IMAGE_JPEG = 2,
    ETR_IMAGE_WEBP = 3,
    ETR_IMAGE_PDF = 4,
} etr_image_kind;

typedef enum {
    ETR_IMAGE_OK = 0,
    /// The bytes do not decode as the kind they claim to be (truncated, corrupt, not that format).
    ETR_IMAGE_UNREADABLE = 1,
    /// The picture decodes but has more pixels than allowed: refused before its pixels are read.
    ETR_IMAGE_TOO_LARGE = 2,
    /// libvips could not start or could not encode: the server's fault, not the file's.
    ETR_IMAGE_INTERNAL = 3,
} etr_image_status;

typedef struct {
    int width;
    int height;
    /// The re-encoded image without metadata (g_malloc'd; NULL for a PDF, which is kept as sent).
    void *data;
    size_t length;
    char error[256];
} etr_image_result;

/// Starts libvips once for the process and leaves only the four loaders handouts accept
/// reachable. Returns 0 on success.
int etr_image_start(void);

/// Decodes the whole file with the loader of `kind`, refusing a truncated one, and re-encodes
/// pictures turned upright with no metadata (EXIF, GPS, XMP, IPTC, ICC). A PDF is only opened to
/// read its first page's size.
etr_image_status etr_image_clean(
    const void *bytes, size_t length, etr_image_kind kind, long long max_pixels, etr_image_result *result);

void etr_image_free(etr_image_result *result);

#endif
