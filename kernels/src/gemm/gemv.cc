// GEMV schedule: per task, a few output channels' weight rows are formed from their planes into
// an L1 buffer (unpack_nested in full mode: the same bits as the panel schedule's decode) and
// dotted with the centred input rows (x - zp as int16, made once per run). The dot products come
// from the unpack table (the widest vectors the CPU runs: NEON SMLAL, SSE2/AVX2/AVX-512
// PMADDWD), which every fast variant shares: this schedule is bound by the unpacking.
#include "gemv.h"

#include <pthreadpool.h>
#include <algorithm>

#include "../parallel_for.h"
#include "../unpack/unpack_table.h"
#include "nestrt/kernels/packed_plane.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kChannelsPerTask = 16;

// The centred input rows at offset 0, then one weight row per thread at `rows`.
struct GemvScratch {
  size_t rows = 0, row_bytes = 0, total = 0;
};

GemvScratch gemv_layout(const ConvGeometry& g, size_t threads) {
  const size_t k = size_t(g.in_c), m = size_t(g.batch) * g.out_h * g.out_w;
  GemvScratch s;
  s.row_bytes = round_up(k, kAlign);
  s.rows = round_up(m * k * sizeof(int16_t), kAlign);
  s.total = s.rows + std::max<size_t>(threads, 1) * s.row_bytes + kAlign;
  return s;
}

}  // namespace

bool gemv_applies(const ConvGeometry& g) {
  const size_t m = size_t(g.batch) * g.out_h * g.out_w;
  return m <= kGemvMaxRows && g.groups == 1 && g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 &&
         g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

size_t gemv_scratch_bytes(const ConvGeometry& g, size_t threads) {
  return gemv_layout(g, threads).total;
}

void run_gemv(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const NestedPlanes& planes,
              NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch, pthreadpool_t pool) {
  const size_t k = size_t(g.in_c), m = size_t(g.batch) * g.out_h * g.out_w, oc = size_t(g.out_c);
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  const GemvScratch s = gemv_layout(g, threads);
  auto* base = reinterpret_cast<uint8_t*>(round_up(reinterpret_cast<uintptr_t>(scratch), kAlign));
  auto* xc = reinterpret_cast<int16_t*>(base);
  for (size_t i = 0; i < m * k; ++i) xc[i] = int16_t(input[i] - a.input_zero_point);
  const bool full = mode == NestMode::kFull;
  const unsigned lb = unsigned(planes.low_bits);
  const size_t tasks = (oc + kChannelsPerTask - 1) / kChannelsPerTask;
  const UnpackTable::DotFn dot_centred = unpack_table().dot_centred;
  parallel_for_slots(pool, tasks, threads, [&](size_t t, size_t slot) {
    auto* w = reinterpret_cast<int8_t*>(base + s.rows + slot * s.row_bytes);
    for (size_t c = t * kChannelsPerTask; c < std::min(oc, (t + 1) * kChannelsPerTask); ++c) {
      if (full) {
        unpack_nested(planes.high, planes.low, lb, c * k, k, w);
      } else {
        unpack_part(planes, c * k, k, w);
      }
      for (size_t r = 0; r < m; ++r) {
        const uint32_t acc = uint32_t(dot_centred(w, xc + r * k, k)) + uint32_t(q.bias[c]);
        output[r * oc + c] = requantize(int32_t(acc), q.multiplier[c], a.output_zero_point, a.output_min, a.output_max);
      }
    }
  });
}

}  // namespace nestrt::kernels
