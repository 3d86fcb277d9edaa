// Shim for OpenBLAS's CBLAS interface (Debian's libopenblas-dev puts cblas.h on the default
// include path under /usr/include/x86_64-linux-gnu). Not a stable API: used by RTFormer only.
#ifndef RTFORMER_COPENBLAS_SHIM_H
#define RTFORMER_COPENBLAS_SHIM_H
#include <cblas.h>
// openblas_set_num_threads / openblas_get_num_threads are declared in cblas.h of OpenBLAS.
#endif
