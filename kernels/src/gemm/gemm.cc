// Decode into canonical panels, input packing (im2col rows per block of output pixels) and the
// GEMM driver shared by every fast variant. Plain C++: compiled for the baseline ISA.
#include "nestrt/kernels/gemm.h"

#include <pthreadpool.h>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "../parallel_for.h"
#include "../ukernels.h"
#include "../unpack/unpack_table.h"
#include "gemv.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kAlign = 64;

// Two schedules. Small weights (<= kWholeDecodeBytes of panels): decode every panel once, then
// run blocks of kGemmBlockM output pixels against all of them. Large weights (the deep layers,
// few pixels): pack the input rows of a big block of pixels once, then decode one panel at a
// time into an L1/L2-resident buffer and run the whole block against it, so the decoded weights
// never travel to memory and back.
constexpr size_t kWholeDecodeBytes = 256 * 1024;
constexpr size_t kLargeBlockBytes = 1024 * 1024;  // packed input rows per block, large schedule

struct ScratchLayout {
  bool whole = true;  // decode all panels up front
  size_t threads = 1;
  size_t block_m = kGemmBlockM;
  size_t a_bytes = 0;  // one packed-rows buffer (whole schedule: one per thread)
  size_t panels = 0, ksum = 0, init = 0, mult = 0, a = 0, tmp = 0, has_min = 0, total = 0;
};

// threads: the most threads that will share this scratch (each gets its own decode and packing
// buffers, so no two concurrent tasks ever write the same bytes).
ScratchLayout scratch_layout(const ConvGeometry& g, size_t threads) {
  const size_t k = size_t(g.kernel_h) * g.kernel_w * (g.in_c / std::max(g.groups, 1));
  // Sized for the largest k group of any variant: a variant's own Kc is never larger.
  const size_t kc = round_up(k, kMaxKGroup), ocp = round_up(size_t(g.out_c), kPanelNR);
  const size_t m = size_t(g.batch) * g.out_h * g.out_w;
  ScratchLayout s;
  s.threads = std::max<size_t>(threads, 1);
  s.whole = ocp * kc <= kWholeDecodeBytes;
  if (!s.whole) {
    // An upper bound for every variant: rows are at most int16.
    s.block_m = std::max<size_t>(kGemmBlockM, kLargeBlockBytes / (kc * sizeof(int16_t)) / 8 * 8);
  } else if (s.threads > 1) {
    // Blocks are the unit of work here: at least about 4 per thread when the layer has the rows.
    s.block_m = std::clamp<size_t>(round_up((m + 4 * s.threads - 1) / (4 * s.threads), 8), 8, kGemmBlockM);
  }
  s.block_m = std::min(s.block_m, std::max<size_t>(m, 1));
  s.a_bytes = round_up(s.block_m * kc * sizeof(int16_t), kAlign);
  const size_t decode_slots = s.whole ? ocp / kPanelNR : s.threads;  // panels held at once
  size_t off = 0;
  auto take = [&](size_t bytes) {
    const size_t at = off;
    off = round_up(off + bytes, kAlign);
    return at;
  };
  s.panels = take(decode_slots * kPanelNR * kc);
  s.ksum = take(decode_slots * kPanelNR * sizeof(int32_t));
  s.init = take(ocp * sizeof(int32_t));
  s.mult = take(ocp * sizeof(float));
  s.a = take((s.whole ? s.threads : 1) * s.a_bytes);
  s.tmp = take(s.threads * kPanelNR * kc);
  s.has_min = take(ocp / kPanelNR);
  s.total = off + kAlign;  // the caller's pointer may be unaligned: room to align it
  return s;
}

size_t pool_threads(pthreadpool_t pool) {
  return pool ? pthreadpool_get_threads_count(pool) : 1;
}

uint8_t* aligned(void* p) {
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint8_t*>(round_up(v, kAlign));
}

// Converts n input bytes into the variant's input form. The restrict pointers matter: the output
// is a char type that may alias anything, and without them GCC reloaded the geometry on every
// element and kept this loop scalar (a quarter of ResNet-18's run time).
template <typename T, typename Fn>
void convert_bytes(const int8_t* __restrict in, size_t n, Fn tr, T* __restrict out) {
  for (size_t c = 0; c < n; ++c) out[c] = tr(in[c]);
}

// One im2col row per output pixel: the KH x KW x Cin window, padding positions (and the K tail)
// filled with the value that stands for real zero.
template <typename T, typename Fn>
void pack_rows(const ConvGeometry& g, const int8_t* input, size_t m0, size_t mb, size_t kc, T pad, Fn tr, T* out) {
  const int in_h = g.in_h, in_w = g.in_w, out_w = g.out_w, kernel_h = g.kernel_h, kernel_w = g.kernel_w;
  const int stride_h = g.stride_h, stride_w = g.stride_w, dilation_h = g.dilation_h, dilation_w = g.dilation_w;
  const int pad_top = g.pad_top, pad_left = g.pad_left;
  const size_t in_c = size_t(g.in_c), pixels = size_t(g.out_h) * size_t(out_w);
  const size_t k = size_t(kernel_h) * size_t(kernel_w) * in_c;
  // A 1x1 stride-1 unpadded convolution reads its rows straight from the input: one conversion of
  // the whole block when rows need no K padding, else one per row (no window arithmetic).
  if (kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 &&
      g.out_h == in_h && out_w == in_w) {
    if (k == kc) return convert_bytes(input + m0 * k, mb * k, tr, out);
    for (size_t r = 0; r < mb; ++r) {
      convert_bytes(input + (m0 + r) * k, k, tr, out + r * kc);
      std::fill_n(out + r * kc + k, kc - k, pad);
    }
    return;
  }
  // The output pixel (n, oy, ox) of row m0, then stepped per row: no divisions per row.
  int n = int(m0 / pixels), oy = int(m0 % pixels) / out_w, ox = int(m0 % pixels) % out_w;
  for (size_t r = 0; r < mb; ++r, ++ox) {
    if (ox == out_w) {
      ox = 0;
      if (++oy == g.out_h) oy = 0, ++n;
    }
    T* row = out + r * kc;
    const int ix0 = ox * stride_w - pad_left;
    // With dilation 1, a kernel row inside the input is one contiguous run of kernel_w * in_c bytes.
    const bool whole_rows = dilation_w == 1 && ix0 >= 0 && ix0 + kernel_w <= in_w;
    for (int ky = 0; ky < kernel_h; ++ky) {
      const int iy = oy * stride_h - pad_top + ky * dilation_h;
      if (whole_rows && iy >= 0 && iy < in_h) {
        convert_bytes(input + ((size_t(n) * size_t(in_h) + size_t(iy)) * size_t(in_w) + size_t(ix0)) * in_c,
                      size_t(kernel_w) * in_c, tr, row);
        row += size_t(kernel_w) * in_c;
        continue;
      }
      for (int kx = 0; kx < kernel_w; ++kx, row += in_c) {
        const int ix = ox * stride_w - pad_left + kx * dilation_w;
        if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
          std::fill_n(row, in_c, pad);
          continue;
        }
        convert_bytes(input + ((size_t(n) * size_t(in_h) + size_t(iy)) * size_t(in_w) + size_t(ix)) * in_c, in_c, tr,
                      row);
      }
    }
    std::fill_n(out + r * kc + k, kc - k, pad);
  }
}

// Decodes panel p (output channels 16p..16p+15) into blocks of k_group k, and its 16 weight sums
// unless ksum is null. Returns whether the panel holds a -128 weight if find_min, else false.
bool decode_panel(const NestedPlanes& planes, NestMode mode, size_t oc, size_t k, size_t p, size_t k_group, int8_t* dst,
                  int32_t* ksum, int8_t* tmp, bool find_min);

// Whether n bytes hold a -128 (panels decoded elsewhere, for the no-min kernels).
bool holds_min(const int8_t* v, size_t n) {
  int8_t m = 0;  // a min reduction: GCC vectorises it (SMINV), not an `any |= v == -128`
  for (size_t i = 0; i < n; ++i) m = std::min(m, v[i]);
  return m == -128;
}

// predecoded: all panels already decoded (with ksum), or null to decode from `planes`.
// Work split (bit-identical for any thread count: every output byte is computed once, by the
// same arithmetic). Whole schedule: panels decoded in parallel, then blocks of output pixels
// shared among the threads, each packing its rows into its own buffer. Large schedule: per block,
// rows packed in parallel slices, then panels shared among the threads, each decoding into its
// own L1/L2-resident buffer. Panels and blocks are single tasks that pthreadpool balances
// (parallel_for_slots), so a slower core does less of the work.
void run_gemm(const GemmUkernel& uk, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
              const NestedPlanes* planes, NestMode mode, const int8_t* predecoded, const int32_t* predecoded_ksum,
              const ChannelQuant& q, int8_t* output, const ScratchLayout& s, uint8_t* base, pthreadpool_t pool) {
  const size_t k = size_t(g.kernel_h) * g.kernel_w * g.in_c;
  const size_t group = size_t(uk.k_group);
  const size_t kc = round_up(k, group), ocp = round_up(size_t(g.out_c), kPanelNR), npanels = ocp / kPanelNR;
  const size_t panel_bytes = kPanelNR * kc;
  auto* has_min = reinterpret_cast<bool*>(base + s.has_min);
  const bool find_min = uk.fn_no_min != nullptr;
  auto* init = reinterpret_cast<int32_t*>(base + s.init);
  auto* mult = reinterpret_cast<float*>(base + s.mult);
  auto* panel_buf = reinterpret_cast<int8_t*>(base + s.panels);
  auto* tmp = reinterpret_cast<int8_t*>(base + s.tmp);
  auto* ks = reinterpret_cast<int32_t*>(base + s.ksum);
  const int32_t zp = a.input_zero_point;
  const int32_t x_offset = uk.input == GemmInput::kInt8 ? zp : uk.input == GemmInput::kUint8Offset ? zp + 128 : 0;
  // init = bias - x_offset * sum(w), per channel of panel p. Wrapping arithmetic, as the kernels'
  // int32 lanes do; the sum is the exact accumulator.
  // Centred int16 inputs (x_offset 0) need no weight sums: decoding skips them (panel_ksum null).
  const bool sums = x_offset != 0;
  auto set_init = [&](size_t p, const int32_t* panel_ksum) {
    for (size_t n = 0; n < size_t(kPanelNR); ++n) {
      const size_t c = p * kPanelNR + n;
      const bool real = c < size_t(g.out_c);
      const uint32_t sum = panel_ksum ? uint32_t(panel_ksum[n]) : 0u;
      init[c] = real ? int32_t(uint32_t(q.bias[c]) - uint32_t(x_offset) * sum) : 0;
      mult[c] = real ? q.multiplier[c] : 0.f;
    }
  };
  const GemmRequant req{a.output_zero_point, a.output_min, a.output_max};
  const size_t m_total = size_t(g.batch) * g.out_h * g.out_w;
  const size_t elem = uk.input == GemmInput::kInt16Centred ? 2 : 1;
  const size_t a_stride = kc * elem;
  const bool direct = uk.input == GemmInput::kInt8 && g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
                      g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w &&
                      k == kc;
  const size_t halves = size_t(kPanelNR / uk.nr);
  const size_t nblocks = (m_total + s.block_m - 1) / s.block_m;

  // Rows [m0, m0 + mb) in the variant's input form, at dst.
  auto pack = [&](size_t m0, size_t mb, uint8_t* dst) {
    switch (uk.input) {
      case GemmInput::kInt8:
        pack_rows(
            g, input, m0, mb, kc, int8_t(zp), [](int8_t x) { return x; }, reinterpret_cast<int8_t*>(dst));
        break;
      case GemmInput::kUint8Offset:
        pack_rows(
            g, input, m0, mb, kc, uint8_t(uint8_t(zp) ^ 0x80u), [](int8_t x) { return uint8_t(uint8_t(x) ^ 0x80u); },
            dst);
        break;
      case GemmInput::kInt16Centred:
        pack_rows(
            g, input, m0, mb, kc, int16_t(0), [zp](int8_t x) { return int16_t(x - zp); },
            reinterpret_cast<int16_t*>(dst));
        break;
    }
  };
  // Rows [m0, m0 + mb) (at arows) times panel p; the no-min kernel where the panel allows it.
  auto gemm_panel = [&](const int8_t* panel, size_t p, bool panel_has_min, const uint8_t* arows, size_t m0, size_t mb) {
    const GemmUkernelFn fn = uk.fn_no_min && !panel_has_min ? uk.fn_no_min : uk.fn;
    for (size_t h = 0; h < halves; ++h) {
      const size_t c0 = p * kPanelNR + h * size_t(uk.nr);
      if (c0 >= size_t(g.out_c)) break;
      const size_t nc = std::min<size_t>(size_t(uk.nr), size_t(g.out_c) - c0);
      const int8_t* w = panel + h * size_t(uk.nr) * group;
      for (size_t r0 = 0; r0 < mb; r0 += size_t(uk.mr)) {
        fn(std::min<size_t>(size_t(uk.mr), mb - r0), nc, kc, arows + r0 * a_stride, a_stride, w, init + c0, mult + c0,
           output + (m0 + r0) * size_t(g.out_c) + c0, size_t(g.out_c), req);
      }
    }
  };

  if (predecoded) {
    for (size_t p = 0; p < npanels; ++p) {
      set_init(p, predecoded_ksum + p * kPanelNR);
      has_min[p] = find_min && holds_min(predecoded + p * panel_bytes, panel_bytes);
    }
  }
  if (s.whole) {
    const int8_t* panels = predecoded ? predecoded : panel_buf;
    if (!predecoded) {
      parallel_for_slots(pool, npanels, s.threads, [&](size_t p, size_t slot) {
        int32_t* panel_ksum = sums ? ks + p * kPanelNR : nullptr;
        has_min[p] = decode_panel(*planes, mode, size_t(g.out_c), k, p, group, panel_buf + p * panel_bytes, panel_ksum,
                                  tmp + slot * panel_bytes, find_min);
        set_init(p, panel_ksum);
      });
    }
    parallel_for_slots(pool, nblocks, s.threads, [&](size_t b, size_t slot) {
      uint8_t* abuf = base + s.a + slot * s.a_bytes;
      const size_t m0 = b * s.block_m, mb = std::min(s.block_m, m_total - m0);
      const uint8_t* arows = reinterpret_cast<const uint8_t*>(input + m0 * k);
      if (!direct) pack(m0, mb, abuf), arows = abuf;
      for (size_t p = 0; p < npanels; ++p) gemm_panel(panels + p * panel_bytes, p, has_min[p], arows, m0, mb);
    });
    return;
  }

  for (size_t b = 0; b < nblocks; ++b) {
    const size_t m0 = b * s.block_m, mb = std::min(s.block_m, m_total - m0);
    const uint8_t* arows = reinterpret_cast<const uint8_t*>(input + m0 * k);
    if (!direct) {
      uint8_t* abuf = base + s.a;
      const size_t slices = std::min(s.threads, mb);
      parallel_for(pool, slices, [&](size_t t) {
        const size_t lo = mb * t / slices, hi = mb * (t + 1) / slices;
        pack(m0 + lo, hi - lo, abuf + lo * a_stride);
      });
      arows = abuf;
    }
    parallel_for_slots(pool, npanels, s.threads, [&](size_t p, size_t slot) {
      const int8_t* panel = predecoded + p * panel_bytes;
      bool panel_has_min = predecoded && has_min[p];
      if (!predecoded) {
        // Decoded (and its init set) where it is used, into this task's buffer.
        int8_t* own = panel_buf + slot * panel_bytes;
        int32_t* panel_ksum = sums ? ks + slot * kPanelNR : nullptr;
        panel_has_min = decode_panel(*planes, mode, size_t(g.out_c), k, p, group, own, panel_ksum,
                                     tmp + slot * panel_bytes, find_min);
        set_init(p, panel_ksum);
        panel = own;
      }
      gemm_panel(panel, p, panel_has_min, arows, m0, mb);
    });
  }
}

// Interleaves 16 rows of `len` bytes (row n at tmp + n * stride, len a multiple of 4) into c4
// blocks: out[(kb * 16 + n) * 4 + j] = row_n[kb * 4 + j]. 4x4 transposes of 32-bit words with the
// baseline SIMD of each architecture (SSE2, NEON); scalar elsewhere.
void interleave_c4(const int8_t* tmp, size_t stride, size_t len, int8_t* out) {
  size_t kb0 = 0;
#if defined(__SSE2__) || defined(__aarch64__)
  for (; kb0 + 4 <= len / 4; kb0 += 4) {
    for (size_t g = 0; g < size_t(kPanelNR); g += 4) {
#if defined(__SSE2__)
      const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + (g + 0) * stride + kb0 * 4));
      const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + (g + 1) * stride + kb0 * 4));
      const __m128i r2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + (g + 2) * stride + kb0 * 4));
      const __m128i r3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + (g + 3) * stride + kb0 * 4));
      const __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
      const __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
      const __m128i o[4] = {_mm_unpacklo_epi64(t0, t2), _mm_unpackhi_epi64(t0, t2), _mm_unpacklo_epi64(t1, t3),
                            _mm_unpackhi_epi64(t1, t3)};
      for (size_t j = 0; j < 4; ++j) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + ((kb0 + j) * kPanelNR + g) * 4), o[j]);
      }
#else
      uint32x4x4_t r;
      r.val[0] = vreinterpretq_u32_s8(vld1q_s8(tmp + (g + 0) * stride + kb0 * 4));
      r.val[1] = vreinterpretq_u32_s8(vld1q_s8(tmp + (g + 1) * stride + kb0 * 4));
      r.val[2] = vreinterpretq_u32_s8(vld1q_s8(tmp + (g + 2) * stride + kb0 * 4));
      r.val[3] = vreinterpretq_u32_s8(vld1q_s8(tmp + (g + 3) * stride + kb0 * 4));
      const uint32x4_t t0 = vzip1q_u32(r.val[0], r.val[1]), t1 = vzip2q_u32(r.val[0], r.val[1]);
      const uint32x4_t t2 = vzip1q_u32(r.val[2], r.val[3]), t3 = vzip2q_u32(r.val[2], r.val[3]);
      const uint64x2_t u0 = vreinterpretq_u64_u32(t0), u1 = vreinterpretq_u64_u32(t1);
      const uint64x2_t u2 = vreinterpretq_u64_u32(t2), u3 = vreinterpretq_u64_u32(t3);
      const uint64x2_t o[4] = {vzip1q_u64(u0, u2), vzip2q_u64(u0, u2), vzip1q_u64(u1, u3), vzip2q_u64(u1, u3)};
      for (size_t j = 0; j < 4; ++j) {
        vst1q_s8(out + ((kb0 + j) * kPanelNR + g) * 4, vreinterpretq_s8_u64(o[j]));
      }
#endif
    }
  }
#endif
  for (size_t kb = kb0; kb < len / 4; ++kb) {
    for (size_t n = 0; n < size_t(kPanelNR); ++n)
      std::memcpy(out + (kb * kPanelNR + n) * 4, tmp + n * stride + kb * 4, 4);
  }
}

// c16 blocks: each row's 16-byte groups, 16 rows per block.
void interleave_c16(const int8_t* tmp, size_t stride, size_t len, int8_t* out) {
  for (size_t kb = 0; kb < len / 16; ++kb) {
    for (size_t n = 0; n < size_t(kPanelNR); ++n)
      std::memcpy(out + (kb * kPanelNR + n) * 16, tmp + n * stride + kb * 16, 16);
  }
}

// Decodes the 16 rows in chunks of kChunk k-values (16 x kChunk bytes of tmp stay in L1), sums
// them while they are hot (unless ksum is null), then interleaves each chunk into k_group blocks.
bool decode_panel(const NestedPlanes& planes, NestMode mode, size_t oc, size_t k, size_t p, size_t k_group, int8_t* dst,
                  int32_t* ksum, int8_t* tmp, bool find_min) {
  constexpr size_t kChunk = 256;  // a multiple of every k group
  const size_t kc = round_up(k, k_group);
  bool any_min = false;
  const unsigned lb = unsigned(planes.low_bits);
  if (ksum) std::fill_n(ksum, kPanelNR, 0);
  const UnpackTable::SumFn row_sum = unpack_table().sum;
  const size_t chunk = std::min(kChunk, kc);  // tmp holds 16 x kc bytes at least
  for (size_t k0 = 0; k0 < kc; k0 += chunk) {
    const size_t len = std::min(chunk, kc - k0);             // multiple of k_group
    const size_t real = k0 < k ? std::min(len, k - k0) : 0;  // k-values inside the row
    for (size_t n = 0; n < size_t(kPanelNR); ++n) {
      const size_t c = p * kPanelNR + n;
      int8_t* t = tmp + n * chunk;
      if (c >= oc) {
        std::memset(t, 0, len);
        continue;
      }
      if (mode == NestMode::kFull) {
        unpack_nested(planes.high, planes.low, lb, c * k + k0, real, t);
      } else {
        unpack_part(planes, c * k + k0, real, t);
      }
      if (len > real) std::memset(t + real, 0, len - real);  // only the K tail: skips a library call per row
      if (ksum) ksum[n] += row_sum(t, real);
      if (find_min) any_min |= holds_min(t, real);
    }
    if (k_group == 16) {
      interleave_c16(tmp, chunk, len, dst + k0 * kPanelNR);
    } else {
      interleave_c4(tmp, chunk, len, dst + k0 * kPanelNR);
    }
  }
  return any_min;
}

}  // namespace

void nest_qs8_decode_panels(const NestedPlanes& planes, NestMode mode, int oc, int k, int8_t* panels, int32_t* ksum,
                            int8_t* tmp, int k_group, bool* has_min) {
  if (k_group != 4 && k_group != 16) throw KernelError("panel k group must be 4 or 16");
  const size_t group = size_t(k_group), kc = round_up(size_t(k), group), ocp = round_up(size_t(oc), kPanelNR);
  for (size_t p = 0; p < ocp / kPanelNR; ++p) {
    const bool m = decode_panel(planes, mode, size_t(oc), size_t(k), p, group, panels + p * kPanelNR * kc,
                                ksum + p * kPanelNR, tmp, has_min != nullptr);
    if (has_min) has_min[p] = m;
  }
}

GemmUkernel gemm_ukernel(Variant v) {
  switch (v) {
#if defined(NESTRT_KERNELS_X86)
    case Variant::kAvx2:
      return {nest_qs8_gemm_4x8c4__avx2, 4, 8, GemmInput::kInt16Centred, "nest_qs8_gemm_4x8c4__avx2"};
    case Variant::kAvx512Vnni:
      return {nest_qs8_gemm_8x16c4__avx512vnni, 8, 16, GemmInput::kUint8Offset, "nest_qs8_gemm_8x16c4__avx512vnni"};
#endif
#if defined(NESTRT_KERNELS_ARM64)
    case Variant::kNeon:
      return {nest_qs8_gemm_4x4c16__neon_mull,
              4,
              4,
              GemmInput::kInt8,
              "nest_qs8_gemm_4x4c16__neon_mull",
              16,
              nest_qs8_gemm_4x4c16__neon_mlal,
              "nest_qs8_gemm_4x4c16__neon_mlal"};
    case Variant::kNeonDot:
      return {nest_qs8_gemm_4x16c4__neondot, 4, 16, GemmInput::kInt8, "nest_qs8_gemm_4x16c4__neondot"};
    case Variant::kI8mm: return {nest_qs8_gemm_4x16c8__i8mm, 4, 16, GemmInput::kInt8, "nest_qs8_gemm_4x16c8__i8mm"};
#endif
    default: return {};
  }
}

size_t qs8_conv2d_nested_scratch_bytes(const ConvGeometry& g, size_t threads) {
  // The reference path decodes OHWI weights into the same scratch.
  const size_t ref = size_t(g.out_c) * g.kernel_h * g.kernel_w * (g.in_c / std::max(g.groups, 1));
  const size_t gemv = gemv_applies(g) ? gemv_scratch_bytes(g, threads) : 0;
  return std::max({ref, gemv, scratch_layout(g, threads).total});
}

ConvGeometry fully_connected_geometry(int batch, int in_features, int out_features) {
  ConvGeometry g;
  g.batch = batch;
  g.in_h = g.in_w = g.out_h = g.out_w = 1;
  g.in_c = in_features;
  g.out_c = out_features;
  return g;
}

bool gemm_supports(const ConvGeometry& g, const ChannelQuant& q) {
  if (g.groups != 1) return false;
  if (q.weight_zero_point) {
    for (int c = 0; c < g.out_c; ++c) {
      if (q.weight_zero_point[c] != 0) return false;
    }
  }
  return true;
}

void qs8_conv2d_packed(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                       const int8_t* panels, const int32_t* ksum, const ChannelQuant& q, int8_t* output, void* scratch,
                       pthreadpool_t pool) {
  const GemmUkernel uk = gemm_ukernel(v);
  if (!uk.fn) throw KernelError(std::string("no GEMM microkernel for variant ") + variant_name(v));
  if (!gemm_supports(g, q)) throw KernelError("qs8 GEMM path: groups must be 1 and weight zero points 0");
  run_gemm(uk, g, a, input, nullptr, NestMode::kFull, panels, ksum, q, output, scratch_layout(g, pool_threads(pool)),
           aligned(scratch), pool);
}

void qs8_conv2d_nested(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                       const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch,
                       pthreadpool_t pool) {
  if (v == Variant::kRef) {
    auto* w = static_cast<int8_t*>(scratch);
    nest_qs8_decode__ref(planes, mode, w);
    qs8_conv2d__ref(g, a, input, w, q, output);
    return;
  }
  const GemmUkernel uk = gemm_ukernel(v);
  if (!uk.fn) throw KernelError(std::string("no GEMM microkernel for variant ") + variant_name(v));
  if (!gemm_supports(g, q)) throw KernelError("qs8 GEMM path: groups must be 1 and weight zero points 0");
  if (gemv_applies(g)) return run_gemv(g, a, input, planes, mode, q, output, scratch, pool);
  run_gemm(uk, g, a, input, &planes, mode, nullptr, nullptr, q, output, scratch_layout(g, pool_threads(pool)),
           aligned(scratch), pool);
}

}  // namespace nestrt::kernels
