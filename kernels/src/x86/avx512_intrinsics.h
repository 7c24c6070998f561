// <immintrin.h> for the AVX-512 translation units, included first. GCC 12's avx512fintrin.h
// initialises _mm512_undefined_*() from itself, which -Wuninitialized reports inside every
// inlined intrinsic; the pragmas (which hold for the rest of the including file) silence that.
#pragma once

#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
