// Shim for libpng 1.6 (Debian libpng-dev). Not a stable API: used by RTFormer's PNG reader only.
// The reader uses libpng's "simplified API" (png_image_*), which reports errors through the
// png_image struct instead of longjmp, so Swift can call it directly.
#ifndef RTFORMER_CPNG_SHIM_H
#define RTFORMER_CPNG_SHIM_H
#include <png.h>
#endif
