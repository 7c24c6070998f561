// Microkernel declarations (internal). Each ISA family lives in its own translation unit compiled
// for that ISA only; nothing else in the library may be compiled with those flags.
#pragma once

#include "nestrt/kernels/dwconv.h"
#include "nestrt/kernels/gemm.h"

namespace nestrt::kernels {

#if defined(__x86_64__) || defined(__i386__)
void nest_qs8_gemm_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                               const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                               const GemmRequant& p);
void nest_qs8_gemm_8x16c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                      const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                      const GemmRequant& p);
void nest_qs8_dwconv2d_c16__avx2(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                 const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                 void* scratch, pthreadpool_t pool);
void nest_qs8_dwconv2d_c32__avx512vnni(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                       const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                       void* scratch, pthreadpool_t pool);
#define NESTRT_KERNELS_X86 1
#endif

#if defined(__aarch64__)
void nest_qs8_gemm_4x4c16__neon_mull(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                     const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                     const GemmRequant& p);
void nest_qs8_gemm_4x4c16__neon_mlal(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                     const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                     const GemmRequant& p);
void nest_qs8_gemm_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                   const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                   const GemmRequant& p);
void nest_qs8_gemm_4x16c8__i8mm(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                const GemmRequant& p);
void nest_qs8_dwconv2d_c16__neon(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                 const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                 void* scratch, pthreadpool_t pool);
#define NESTRT_KERNELS_ARM64 1
#endif

}  // namespace nestrt::kernels
