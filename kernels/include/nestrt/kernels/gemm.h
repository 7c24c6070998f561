// The fast qs8 GEMM path for Conv2D (groups == 1) and FullyConnected (design §7).
//
// Packed weights ("panels"): output channels in panels of kPanelNR = 16; inside a panel, K =
// KH*KW*Cin is padded to Kc = round_up(K, G) and stored as Kc/G blocks of 16 channels x G
// consecutive k (channel n's k..k+G-1 at bytes G*n..G*n+G-1). Channels past out_c and k past K
// are zero. G = 4 (c4) is the order SDOT and VNNI consume directly (AVX2 widens it to int16, i8mm
// zips two blocks); G = 16 (c16) gives the ARMv8.0 NEON kernels one 16-byte vector per channel.
// Each layer's nested planes (OHWI) are decoded into the variant's panels once per run
// (nest_qs8_decode_panels), with the per-channel weight sums that fold the input zero point into
// the bias, and reused for every output pixel.
//
// Microkernels follow XNNPACK's naming: nest_qs8_gemm_<MR>x<NR>c<G>__<isa>. Every variant gives the
// same int8 bits as the reference kernels: exact int32 accumulation, then requantize()'s fp32 rule.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/reference.h"

// pthreadpool's handle (pthreadpool.h), declared here so users need not see that header.
typedef struct pthreadpool* pthreadpool_t;

namespace nestrt::kernels {

inline constexpr int kPanelNR = 16;
inline constexpr int kGemmBlockM = 64;  // output pixels whose im2col rows are packed at a time

inline size_t round_up(size_t v, size_t m) {
  return (v + m - 1) / m * m;
}

inline constexpr int kMaxKGroup = 16;  // the largest G of any variant: scratch is sized for it

// Decodes one layer's weights ([oc][K] in the planes) into panels of group k_group (4 or 16), and
// writes ksum[c] = sum_k w[c][k] for c < round_up(oc, 16) (0 for padding channels) and, if
// has_min is not null, has_min[p] = whether panel p holds a -128 weight.
// panels: round_up(oc,16) * round_up(K,G) bytes. tmp: 16 * round_up(K,G) bytes of scratch.
void nest_qs8_decode_panels(const NestedPlanes& planes, NestMode mode, int oc, int k, int8_t* panels, int32_t* ksum,
                            int8_t* tmp, int k_group = 4, bool* has_min = nullptr);

// Requantisation shared by every microkernel: y = clamp(rint(float(acc) * mult[c]) + zp, lo, hi).
struct GemmRequant {
  int32_t output_zero_point = 0;
  int32_t output_min = -128;
  int32_t output_max = 127;
};

// One call computes rows [0, mr) (mr <= MR) of one 16-channel panel (or a 16/NR part of it for
// NR < 16 kernels; w, init, mult and c then point at the part), nc <= NR valid channels.
// a: packed input rows (element type per variant), a_stride bytes apart, kc = round_up(K, G)
// elements each. w: the panel (block stride 16 G bytes). init[c]: bias with the zero-point
// correction folded in. c: output, row r at c + r * c_stride.
using GemmUkernelFn = void (*)(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                               const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                               const GemmRequant& p);

// How a variant's microkernel wants its input rows packed.
enum class GemmInput {
  kInt8,         // x as is (SDOT, SMMLA, ARMv8.0 SMULL); init = bias - zp_in * ksum
  kUint8Offset,  // x ^ 0x80, i.e. x + 128 as uint8 (VNNI's u8 x s8); init = bias - (zp_in + 128) * ksum
  kInt16Centred  // x - zp_in as int16 (AVX2 VPMADDWD); init = bias
};

struct GemmUkernel {
  GemmUkernelFn fn = nullptr;
  int mr = 0, nr = 0;
  GemmInput input = GemmInput::kInt8;
  const char* name = "";
  int k_group = 4;  // G of the panels it reads
  // A faster kernel, exact only on panels without a -128 weight (int16 pair sums), or null.
  GemmUkernelFn fn_no_min = nullptr;
  const char* name_no_min = "";
};

// The GEMM microkernel of a variant; fn == nullptr for ref (and for variants not built here).
GemmUkernel gemm_ukernel(Variant v);

// Scratch bytes qs8_conv2d_nested needs for a problem run on up to `threads` threads (an upper
// bound over all variants).
size_t qs8_conv2d_nested_scratch_bytes(const ConvGeometry& g, size_t threads = 1);

// Conv2D (groups must be 1) from nested planes in one mode: decode panels into scratch, then the
// variant's GEMM over im2col blocks (1x1 stride-1 convolutions read their rows directly when the
// packing is the identity). Weight zero points must be zero (v1 files); callers check
// gemm_supports(). Variant::kRef runs the reference decode + qs8_conv2d__ref.
// pool: null runs on the calling thread; else scratch must be sized for
// pthreadpool_get_threads_count(pool) threads. The output bits do not depend on the thread count.
void qs8_conv2d_nested(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                       const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch,
                       pthreadpool_t pool = nullptr);

// The compute half alone, on panels already decoded (benchmarks: the decode overhead), in the
// variant's order (nest_qs8_decode_panels with gemm_ukernel(v).k_group).
// scratch: qs8_conv2d_nested_scratch_bytes(g, threads) bytes (the panel area is not touched).
void qs8_conv2d_packed(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                       const int8_t* panels, const int32_t* ksum, const ChannelQuant& q, int8_t* output, void* scratch,
                       pthreadpool_t pool = nullptr);

// Fully connected as a 1x1 convolution over [batch, 1, 1, in].
ConvGeometry fully_connected_geometry(int batch, int in_features, int out_features);

// True when the fast path computes this problem: groups == 1 and all weight zero points zero.
bool gemm_supports(const ConvGeometry& g, const ChannelQuant& q);

}  // namespace nestrt::kernels
