// Shim for libjpeg-turbo's libjpeg API (Debian libjpeg62-turbo-dev). Not a stable API: used by
// RTFormer's JPEG reader only.
//
// libjpeg reports fatal errors by calling error_exit, which must not return; the usual answer is
// setjmp/longjmp, which Swift cannot express. So decoding and encoding live here as static inline
// C functions that catch the longjmp and hand back a status code and libjpeg's message.
#ifndef RTFORMER_CJPEG_SHIM_H
#define RTFORMER_CJPEG_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

struct rtf_jpeg_error {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void rtf_jpeg_error_exit(j_common_ptr cinfo) {
    struct rtf_jpeg_error *e = (struct rtf_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

// Warnings (level -1: corrupt-but-recoverable data) are counted, as libjpeg's default handler
// does, but not printed; trace messages (level >= 0) are dropped.
static void rtf_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) cinfo->err->num_warnings++;
}

/// Decodes a JPEG held in memory to 8-bit interleaved RGB (grayscale is expanded to RGB).
/// On success returns 0 and sets *pixels (malloc'ed, width*height*3 bytes; the caller frees it),
/// *width, *height and *warnings (libjpeg's count of recoverable corruptions).
/// On failure returns 1 and copies libjpeg's message into message (NUL-terminated).
static inline int rtf_jpeg_decode_rgb(const unsigned char *data, unsigned long size,
                                      unsigned char **pixels, int *width, int *height, long *warnings,
                                      char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    struct rtf_jpeg_error err;
    unsigned char *volatile buffer = NULL;
    *pixels = NULL;
    err.message[0] = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = rtf_jpeg_error_exit;
    err.mgr.emit_message = rtf_jpeg_emit_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        snprintf(message, message_size, "%s", err.message);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    // A corrupt or hostile header must not make the reader allocate without bound (2^28 pixels).
    if ((unsigned long long)cinfo.output_width * cinfo.output_height > (1ull << 28)) {
        snprintf(message, message_size, "image of %ux%u pixels exceeds the 2^28-pixel limit",
                 cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    size_t stride = (size_t)cinfo.output_width * 3;
    buffer = (unsigned char *)malloc(stride * cinfo.output_height);
    if (buffer == NULL) {
        snprintf(message, message_size, "out of memory for %ux%u pixels", cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *warnings = err.mgr.num_warnings;
    jpeg_destroy_decompress(&cinfo);
    *pixels = buffer;
    return 0;
}

/// Encodes 8-bit interleaved RGB as a baseline JPEG of the given quality (1...100).
/// On success returns 0 and sets *out (malloc'ed by libjpeg; the caller frees it) and *out_size.
/// On failure returns 1 and copies libjpeg's message into message.
static inline int rtf_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality,
                                      unsigned char **out, unsigned long *out_size,
                                      char *message, size_t message_size) {
    struct jpeg_compress_struct cinfo;
    struct rtf_jpeg_error err;
    *out = NULL;
    *out_size = 0;
    err.message[0] = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = rtf_jpeg_error_exit;
    err.mgr.emit_message = rtf_jpeg_emit_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        snprintf(message, message_size, "%s", err.message);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, out, out_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}
#endif
