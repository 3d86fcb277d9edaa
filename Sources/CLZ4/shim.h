// Shim for liblz4's frame API (Debian liblz4-dev). Not a stable API: used by RTFormer's AEDAT 4
// reader only, to decompress LZ4-frame packets.
#ifndef RTFORMER_CLZ4_SHIM_H
#define RTFORMER_CLZ4_SHIM_H
#include <lz4frame.h>
#endif
