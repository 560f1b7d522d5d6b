#include "CImage.h"

#include <pthread.h>
#include <stdio.h>
#include <vips/vips.h>

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_status = -1;

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {}

static void start(void) {
    if (VIPS_INIT("etrange")) return;
    // A damaged upload makes libvips warn on stderr, in the middle of the server's own log (JSON
    // lines with ETRANGE_LOG_FORMAT=json). What a refused file did wrong comes back through
    // vips_error_buffer instead, and the person is told in French.
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet, NULL);
    // One request's file is small: spreading it over threads only competes with the server.
    vips_concurrency_set(1);
    // Every upload is new; caching operations would only keep other people's pictures in memory.
    vips_cache_set_max(0);
    // The attack surface is the loaders: every one is blocked but the four that handouts accept.
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadPngBuffer", FALSE);
    vips_operation_block_set("VipsForeignLoadJpegBuffer", FALSE);
    vips_operation_block_set("VipsForeignLoadWebpBuffer", FALSE);
    vips_operation_block_set("VipsForeignLoadPdfBuffer", FALSE);
    start_status = 0;
}

int etr_image_start(void) {
    pthread_once(&started, start);
    return start_status;
}

static etr_image_status fail(etr_image_result *result, etr_image_status status) {
    snprintf(result->error, sizeof result->error, "%s", vips_error_buffer());
    vips_error_clear();
    return status;
}

static int load(const void *bytes, size_t length, etr_image_kind kind, VipsImage **image) {
    // The buffer loaders read the header only; the pixels are decoded when the picture is saved,
    // where a truncated file fails instead of coming back grey.
    switch (kind) {
    case ETR_IMAGE_PNG:
        return vips_pngload_buffer((void *)bytes, length, image, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    case ETR_IMAGE_JPEG:
        return vips_jpegload_buffer((void *)bytes, length, image, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    case ETR_IMAGE_WEBP:
        return vips_webpload_buffer((void *)bytes, length, image, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
    case ETR_IMAGE_PDF:
        return vips_pdfload_buffer((void *)bytes, length, image, NULL);
    }
    return -1;
}

static int save(VipsImage *image, etr_image_kind kind, void **data, size_t *length) {
    switch (kind) {
    case ETR_IMAGE_PNG:
        return vips_pngsave_buffer(image, data, length, "strip", TRUE, NULL);
    case ETR_IMAGE_JPEG:
        return vips_jpegsave_buffer(image, data, length, "strip", TRUE, "Q", 90, NULL);
    case ETR_IMAGE_WEBP:
        return vips_webpsave_buffer(image, data, length, "strip", TRUE, "Q", 90, NULL);
    case ETR_IMAGE_PDF:
        return -1;
    }
    return -1;
}

etr_image_status etr_image_clean(
    const void *bytes, size_t length, etr_image_kind kind, long long max_pixels, etr_image_result *result) {
    result->width = 0;
    result->height = 0;
    result->data = NULL;
    result->length = 0;
    result->error[0] = 0;
    if (etr_image_start() != 0) return fail(result, ETR_IMAGE_INTERNAL);

    VipsImage *image = NULL;
    if (load(bytes, length, kind, &image) != 0) return fail(result, ETR_IMAGE_UNREADABLE);
    result->width = vips_image_get_width(image);
    result->height = vips_image_get_height(image);
    if ((long long)result->width * (long long)result->height > max_pixels) {
        g_object_unref(image);
        return ETR_IMAGE_TOO_LARGE;
    }
    if (kind == ETR_IMAGE_PDF) {
        g_object_unref(image);
        return ETR_IMAGE_OK;
    }
    // Phones record "this way up" in EXIF; the tag goes with the rest, so the pixels turn first.
    VipsImage *upright = NULL;
    int turned = vips_autorot(image, &upright, NULL);
    g_object_unref(image);
    if (turned != 0) return fail(result, ETR_IMAGE_UNREADABLE);
    // `strip` alone is not enough: libvips 8.14's WebP writer keeps the EXIF block. Every
    // metadata field goes from a copy (the built-in ones, size and format, cannot be removed).
    VipsImage *bare = NULL;
    int copied = vips_copy(upright, &bare, NULL);
    g_object_unref(upright);
    if (copied != 0) return fail(result, ETR_IMAGE_INTERNAL);
    gchar **fields = vips_image_get_fields(bare);
    for (gchar **field = fields; *field; field++) vips_image_remove(bare, *field);
    g_strfreev(fields);
    result->width = vips_image_get_width(bare);
    result->height = vips_image_get_height(bare);
    int saved = save(bare, kind, &result->data, &result->length);
    g_object_unref(bare);
    // Decoding happens here: a failure is the file's (truncated, corrupt pixels), not ours.
    if (saved != 0) return fail(result, ETR_IMAGE_UNREADABLE);
    return ETR_IMAGE_OK;
}

void etr_image_free(etr_image_result *result) {
    if (result->data) g_free(result->data);
    result->data = NULL;
    result->length = 0;
}
