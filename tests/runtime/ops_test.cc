// The Lookup, Mul, Softmax, Concat, Resize and ZeroInsert operators through the C API: a tiny
// model using the first three (Mul broadcasting a [1,1,1,C] tensor), one concatenating three
// differently quantised tensors, one of them upsampled, and a zero insertion, each against an
// independent computation on the reference and the best kernel variant and on several threads; the
// XNNPACK backend's refusal;
// and malformed files failing to load with a message naming the operator and the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "c_api_helpers.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/nestrt.h"
#include "ops_model.h"
#include "tiny_model.h"

namespace {

using nestrt::testing::OpsModelSpec;
using nestrt::testing::TempPath;
using nestrt::testing::write_ops_model;

int clamp8(double v, int lo = -128, int hi = 127) {
  return static_cast<int>(std::min<double>(std::max<double>(v, lo), hi));
}

// The quantised input: every int8 value of the input tensor appears, so the Lookup reads the whole table.
std::vector<int> input_q(const OpsModelSpec& s) {
  std::vector<int> q;  // NHWC
  for (int i = 0; i < s.height * s.width * s.channels; ++i) q.push_back((i * 71 + 5) % 256 - 128);
  return q;
}

// Float NCHW input on the input grid: x = scale * (q - zp) quantises back to exactly q.
std::vector<float> input_floats(const OpsModelSpec& s) {
  const std::vector<int> q = input_q(s);
  std::vector<float> x(q.size());
  for (int h = 0; h < s.height; ++h)
    for (int w = 0; w < s.width; ++w)
      for (int c = 0; c < s.channels; ++c) {
        x[size_t((c * s.height + h) * s.width + w)] =
            s.input_scale * static_cast<float>(q[size_t((h * s.width + w) * s.channels + c)] - s.input_zero_point);
      }
  return x;
}

struct Expected {
  std::vector<int> probs;     // the Softmax output, int8
  std::vector<double> exact;  // before rounding (real / output scale)
};

// The model's math written out directly (spec: format/nestrt.fbs), in double where it rounds.
Expected expected_outputs(const OpsModelSpec& s) {
  const std::vector<int> q = input_q(s);
  const std::vector<int8_t> table = nestrt::testing::ops_model_lookup_table(s);
  const std::vector<float> exp_table = nestrt::testing::ops_model_exp_table(s);
  const size_t pixels = size_t(s.height * s.width), c = size_t(s.channels);
  std::vector<int> pooled(c, -128);  // max over the whole input, per channel
  for (size_t p = 0; p < pixels; ++p)
    for (size_t ch = 0; ch < c; ++ch) pooled[ch] = std::max(pooled[ch], q[p * c + ch]);
  std::vector<int> mul(q.size());
  for (size_t p = 0; p < pixels; ++p) {
    for (size_t ch = 0; ch < c; ++ch) {
      const int lut = std::min<int>(table[size_t(q[p * c + ch] + 128)], s.lookup_output_max);
      const double product = double((lut - s.lut_zero_point) * (pooled[ch] - s.input_zero_point)) * s.mul_multiplier;
      mul[p * c + ch] = clamp8(std::nearbyint(product) + s.mul_zero_point);
    }
  }
  const int m = *std::max_element(mul.begin(), mul.end());
  double sum = 0;
  for (int v : mul) sum += exp_table[size_t(m - v)];
  Expected e;
  for (int v : mul) {
    e.exact.push_back(exp_table[size_t(m - v)] / (sum * s.softmax_scale));
    e.probs.push_back(clamp8(std::nearbyint(e.exact.back()) + s.softmax_zero_point));
  }
  return e;
}

std::vector<float> run(nestrt_model* model, const std::vector<float>& x, size_t outputs, uint32_t threads) {
  nestrt_session_options o;
  nestrt_session_options_init(&o);
  o.threads = threads;
  nestrt_session* s = nullptr;
  EXPECT_EQ(nestrt_session_create(model, &o, &s), NESTRT_OK) << nestrt_last_error();
  std::vector<float> y(outputs);
  if (s == nullptr) return y;
  EXPECT_EQ(nestrt_run(s, x.data(), x.size(), y.data(), y.size(), nullptr), NESTRT_OK) << nestrt_last_error();
  nestrt_session_destroy(s);
  return y;
}

TEST(OpsModelTest, LookupMulSoftmaxMatchAnIndependentComputation) {
  TempPath path("ops.nest");
  const OpsModelSpec spec;
  write_ops_model(path.str(), spec);
  nestrt_model* model = nestrt::testing::load_model(path.str(), NESTRT_MODE_FULL);
  ASSERT_NE(model, nullptr);
  int64_t dims[8];
  size_t rank = 8;
  ASSERT_EQ(nestrt_model_output_shape(model, dims, &rank), NESTRT_OK);
  ASSERT_EQ(std::vector<int64_t>(dims, dims + rank), (std::vector<int64_t>{1, 24}));

  const Expected want = expected_outputs(spec);
  const std::vector<float> x = input_floats(spec);
  std::vector<float> first;
  for (nestrt::kernels::Variant variant : {nestrt::kernels::Variant::kRef, nestrt::kernels::best_variant()}) {
    nestrt::kernels::set_variant(variant);
    for (uint32_t threads : {1u, 2u, 3u}) {
      SCOPED_TRACE(std::string(nestrt::kernels::variant_name(variant)) + ", " + std::to_string(threads) + " thread(s)");
      const std::vector<float> y = run(model, x, want.probs.size(), threads);
      if (first.empty()) first = y;
      EXPECT_EQ(y, first) << "every variant and thread count gives the same bits";
      double total = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        const float q = y[i] / spec.softmax_scale + static_cast<float>(spec.softmax_zero_point);
        ASSERT_EQ(q, std::nearbyint(q)) << "output " << i << " is not on the output grid";
        if (int(q) != want.probs[i]) {  // only a near-tie may round the other way in fp32
          const double frac = want.exact[i] - std::floor(want.exact[i]);
          EXPECT_LT(std::fabs(frac - 0.5), 1e-4) << "output " << i << ": got " << q << " want " << want.probs[i];
          EXPECT_EQ(std::fabs(q - want.probs[i]), 1.f) << "output " << i;
        }
        total += y[i];
      }
      EXPECT_NEAR(total, 1.0, 0.5 * spec.softmax_scale * double(y.size()) + 1e-6);
    }
  }
  nestrt::kernels::reset_variant();
  // The computation is not trivial: several classes get a share.
  int nonzero = 0;
  for (int p : want.probs) nonzero += p != spec.softmax_zero_point;
  EXPECT_GE(nonzero, 3);
  // No weights: part mode computes the same.
  ASSERT_EQ(nestrt_switch(model, NESTRT_MODE_PART, nullptr), NESTRT_OK) << nestrt_last_error();
  EXPECT_EQ(run(model, x, want.probs.size(), 1), first);
  nestrt_model_release(model);
}

// Session creation with the xnnpack backend fails as unsupported, naming the operator and type.
void expect_xnnpack_refuses(const std::string& path, const std::string& op, const std::string& type) {
  nestrt_model* model = nestrt::testing::load_model(path, NESTRT_MODE_FULL);
  ASSERT_NE(model, nullptr);
  nestrt_session_options o;
  nestrt_session_options_init(&o);
  o.backend = NESTRT_BACKEND_XNNPACK;
  nestrt_session* s = nullptr;
  EXPECT_EQ(nestrt_session_create(model, &o, &s), NESTRT_UNSUPPORTED);
  EXPECT_EQ(s, nullptr);
  const std::string message = nestrt_last_error();
  if (message.find("xnn_initialize failed") == std::string::npos) {
    EXPECT_NE(message.find("operator '" + op + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(type + " is not supported by the xnnpack backend"), std::string::npos) << message;
  }
  nestrt_model_release(model);
}

TEST(OpsModelTest, XnnpackBackendRefusesTheOperatorsAtCreation) {
  TempPath path("ops_xnnpack.nest");
  write_ops_model(path.str());
  expect_xnnpack_refuses(path.str(), "lut", "Lookup");
}

// A malformed model file must fail to load as an invalid model, naming the operator and the problem.
void expect_file_rejected(const std::string& path, const std::string& op, const std::string& problem) {
  nestrt_model* model = nullptr;
  EXPECT_EQ(nestrt_model_load(path.c_str(), nullptr, &model), NESTRT_INVALID_MODEL);
  EXPECT_EQ(model, nullptr);
  const std::string message = nestrt_last_error();
  EXPECT_NE(message.find("'" + op + "'"), std::string::npos) << message;
  EXPECT_NE(message.find(problem), std::string::npos) << message;
  if (model != nullptr) nestrt_model_release(model);
}

void expect_rejected(const OpsModelSpec& spec, const std::string& op, const std::string& problem) {
  TempPath path("ops_bad.nest");
  write_ops_model(path.str(), spec);
  expect_file_rejected(path.str(), op, problem);
}

TEST(OpsBadModelTest, LookupTableOf255Entries) {
  OpsModelSpec spec;
  spec.lookup_table_entries = 255;
  expect_rejected(spec, "lut", "Lookup table has 255 entries, needs 256");
  spec.lookup_table_entries = 257;
  expect_rejected(spec, "lut", "Lookup table has 257 entries, needs 256");
}

TEST(OpsBadModelTest, MissingOrWrongOptions) {
  OpsModelSpec spec;
  spec.lookup_options = "";
  expect_rejected(spec, "lut", "needs LookupOptions");
  spec = {};
  spec.lookup_options = "MulOptions";
  expect_rejected(spec, "lut", "needs LookupOptions");
  spec = {};
  spec.mul_options = "";
  expect_rejected(spec, "mul", "needs MulOptions");
  spec = {};
  spec.mul_options = "AddOptions";
  expect_rejected(spec, "mul", "needs MulOptions");
  spec = {};
  spec.softmax_options = "";
  expect_rejected(spec, "softmax", "needs SoftmaxOptions");
  spec = {};
  spec.softmax_options = "LookupOptions";
  expect_rejected(spec, "softmax", "needs SoftmaxOptions");
}

TEST(OpsBadModelTest, MulSecondInputNeitherEqualNorBroadcastable) {
  OpsModelSpec spec;
  spec.pool_kernel_h = 1;  // the pooled tensor is [1,2,1,4]
  expect_rejected(spec, "mul",
                  "Mul second input shape [1,2,1,4] neither equals the first input's [1,2,3,4] nor is [N,1,1,C]");
  spec = {};
  spec.pool_kernel_w = 2;  // [1,1,2,4]
  expect_rejected(spec, "mul", "Mul second input shape [1,1,2,4]");
  spec = {};
  spec.mul_inputs = 1;
  expect_rejected(spec, "mul", "needs 2 input(s), has 1");
}

TEST(OpsBadModelTest, MulMultiplierNotPositiveAndFinite) {
  for (float m : {0.f, -0.5f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    OpsModelSpec spec;
    spec.mul_multiplier = m;
    expect_rejected(spec, "mul", "must be positive and finite");
  }
}

TEST(OpsBadModelTest, SoftmaxNotRank2OrWithABadTable) {
  OpsModelSpec spec;
  spec.softmax_rank4 = true;
  expect_rejected(spec, "softmax", "Softmax needs an [N, C] (rank-2) input, got [1,2,3,4]");
  spec = {};
  spec.exp_table_entries = 255;
  expect_rejected(spec, "softmax", "Softmax exp_table has 255 entries, needs 256");
  spec = {};
  spec.exp_table = nestrt::testing::ops_model_exp_table(spec);
  spec.exp_table[7] = std::numeric_limits<float>::quiet_NaN();
  expect_rejected(spec, "softmax", "Softmax exp_table[7] = nan lies outside [0, 1]");
  spec.exp_table[7] = 0.5f;
  spec.exp_table[0] = 0.5f;
  expect_rejected(spec, "softmax", "Softmax exp_table[0] must be 1");
}

TEST(OpsBadModelTest, LookupOutputShapeDiffersFromItsInput) {
  OpsModelSpec spec;
  spec.lookup_output_shape = {1, 3, 2, 4};
  expect_rejected(spec, "lut", "output shape [1,3,2,4] should be [1,2,3,4]");
}

// Concat and Resize (write_concat_model): the graph's math written out directly, in double (the
// model's multipliers 2, 1 and 0.5 are exact, so the kernels must agree exactly).
using nestrt::testing::ConcatModelSpec;
using nestrt::testing::write_concat_model;

std::vector<int> concat_expected(const ConcatModelSpec& s) {
  const int h = 2, w = 4, c = 3;
  std::vector<int> q;  // input NHWC
  for (int i = 0; i < h * w * c; ++i) q.push_back((i * 71 + 5) % 256 - 128);
  const std::vector<int8_t> t0 = nestrt::testing::concat_model_table(0), t1 = nestrt::testing::concat_model_table(1);
  const auto requant = [&](int v, int zp, float m) {
    return clamp8(std::nearbyint(double(v - zp) * double(m)) + s.cat_zero_point, s.cat_output_min, s.cat_output_max);
  };
  std::vector<int> out;  // [1, 2, 4, 18] NHWC
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int pixel = (y * w + x) * c;
      for (int ch = 0; ch < c; ++ch) {
        out.push_back(requant(t0[size_t(q[size_t(pixel + ch)] + 128)], s.lut_zero_point, s.lut_scale / s.cat_scale));
      }
      // 'fold' is the input as [1, 1, 2, 12]; 'up' repeats its pixel x / 2 (row 0 for every y).
      for (int ch = 0; ch < 12; ++ch) {
        out.push_back(requant(q[size_t((x / 2) * 12 + ch)], s.input_zero_point, s.up_scale / s.cat_scale));
      }
      for (int ch = 0; ch < c; ++ch) {
        out.push_back(requant(t1[size_t(q[size_t(pixel + ch)] + 128)], s.lut2_zero_point, s.lut2_scale / s.cat_scale));
      }
    }
  }
  return out;
}

TEST(ConcatResizeModelTest, ThreeQuantisationsAndAnUpsampleMatchAnIndependentComputation) {
  TempPath path("concat.nest");
  const ConcatModelSpec spec;
  write_concat_model(path.str(), spec);
  nestrt_model* model = nestrt::testing::load_model(path.str(), NESTRT_MODE_FULL);
  ASSERT_NE(model, nullptr);
  int64_t dims[8];
  size_t rank = 8;
  ASSERT_EQ(nestrt_model_output_shape(model, dims, &rank), NESTRT_OK);
  ASSERT_EQ(std::vector<int64_t>(dims, dims + rank), (std::vector<int64_t>{1, 18, 2, 4}));  // NCHW

  std::vector<float> x(24);  // NCHW [1, 3, 2, 4] on the input grid
  for (int i = 0; i < 24; ++i) {
    const int ch = i % 3, pixel = i / 3;
    x[size_t(ch * 8 + pixel)] = spec.input_scale * float((i * 71 + 5) % 256 - 128 - spec.input_zero_point);
  }
  const std::vector<int> want = concat_expected(spec);
  std::vector<int> first;
  for (nestrt::kernels::Variant variant : {nestrt::kernels::Variant::kRef, nestrt::kernels::best_variant()}) {
    nestrt::kernels::set_variant(variant);
    for (uint32_t threads : {1u, 2u, 3u}) {
      SCOPED_TRACE(std::string(nestrt::kernels::variant_name(variant)) + ", " + std::to_string(threads) + " thread(s)");
      const std::vector<float> y = run(model, x, want.size(), threads);
      std::vector<int> got(want.size());  // back to NHWC int8
      for (size_t ch = 0; ch < 18; ++ch) {
        for (size_t pixel = 0; pixel < 8; ++pixel) {
          const float q = y[ch * 8 + pixel] / spec.cat_scale + float(spec.cat_zero_point);
          ASSERT_EQ(q, std::nearbyint(q)) << "output not on the output grid";
          got[pixel * 18 + ch] = int(q);
        }
      }
      EXPECT_EQ(got, want);
      if (first.empty()) first = got;
    }
  }
  nestrt::kernels::reset_variant();
  // Not trivial: the clamp bites at both ends and exact ties occur ('lut2', multiplier 0.5).
  EXPECT_NE(std::find(want.begin(), want.end(), spec.cat_output_min), want.end());
  EXPECT_NE(std::find(want.begin(), want.end(), spec.cat_output_max), want.end());
  nestrt_model_release(model);
}

TEST(ConcatResizeModelTest, XnnpackBackendRefusesResize) {
  TempPath path("concat_xnnpack.nest");
  write_concat_model(path.str());
  expect_xnnpack_refuses(path.str(), "up", "Resize");
}

void expect_concat_rejected(const ConcatModelSpec& spec, const std::string& op, const std::string& problem) {
  TempPath path("concat_bad.nest");
  write_concat_model(path.str(), spec);
  expect_file_rejected(path.str(), op, problem);
}

TEST(ConcatResizeBadModelTest, ConcatOfOneInput) {
  ConcatModelSpec spec;
  spec.cat_inputs = 1;
  expect_concat_rejected(spec, "cat", "needs at least 2 inputs, has 1");
}

TEST(ConcatResizeBadModelTest, ConcatMultipliersMissingMiscountedOrNotPositiveAndFinite) {
  ConcatModelSpec spec;
  spec.cat_options = "";
  expect_concat_rejected(spec, "cat", "needs ConcatOptions");
  spec = {};
  spec.cat_multipliers = {2.f, 1.f};
  expect_concat_rejected(spec, "cat", "Concat has 2 input multipliers for 3 inputs, needs one per input");
  spec.cat_multipliers = {2.f, 1.f, 0.5f, 1.f};
  expect_concat_rejected(spec, "cat", "Concat has 4 input multipliers for 3 inputs");
  for (float m : {0.f, -1.f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    spec.cat_multipliers = {2.f, m, 0.5f};
    expect_concat_rejected(spec, "cat", "Concat input_multipliers[1] = ");
    expect_concat_rejected(spec, "cat", "must be positive and finite");
  }
}

TEST(ConcatResizeBadModelTest, ConcatInputsDifferOutsideTheChannelAxisOrWrongOutputShape) {
  ConcatModelSpec spec;
  spec.resize_scale_w = 1;  // 'up' is [1,2,2,12], a valid Resize output
  expect_concat_rejected(spec, "cat",
                         "Concat input 1 shape [1,2,2,12] does not match input 0's [1,2,4,3] outside the channel");
  spec = {};
  spec.cat_shape = {1, 2, 4, 17};
  expect_concat_rejected(spec, "cat", "output shape [1,2,4,17] should be [1,2,4,18]");
}

TEST(ConcatResizeBadModelTest, ResizeScaleOutOfRangeQuantisationChangeOrWrongOutputShape) {
  ConcatModelSpec spec;
  spec.up_shape = {1, 2, 4, 12};
  spec.resize_scale_h = 0;
  expect_concat_rejected(spec, "up", "Resize scale_h 0 lies outside [1, 64]");
  spec.resize_scale_h = 2;
  spec.resize_scale_w = 65;
  expect_concat_rejected(spec, "up", "Resize scale_w 65 lies outside [1, 64]");
  spec = {};
  spec.resize_options = "";
  expect_concat_rejected(spec, "up", "needs ResizeOptions");
  spec = {};
  spec.up_scale = 0.5f;
  expect_concat_rejected(spec, "up", "Resize must keep the quantisation");
  spec = {};
  spec.up_zero_point = 0;
  expect_concat_rejected(spec, "up", "Resize must keep the quantisation");
  spec = {};
  spec.up_shape = {1, 2, 4, 11};
  expect_concat_rejected(spec, "up", "output shape [1,2,4,11] should be [1,2,4,12]");
}

// ZeroInsert (write_zero_insert_model): input pixel (y, x) lands at (y * stride_h, x * stride_w),
// every other output element is the zero point (real 0).
using nestrt::testing::write_zero_insert_model;
using nestrt::testing::ZeroInsertModelSpec;

TEST(ZeroInsertModelTest, InputOnTheStrideGridZerosBetween) {
  for (auto [sh, sw] : {std::pair{2, 3}, std::pair{1, 2}, std::pair{3, 1}, std::pair{1, 1}}) {
    TempPath path("zero_insert.nest");
    ZeroInsertModelSpec spec;
    spec.stride_h = sh, spec.stride_w = sw;
    write_zero_insert_model(path.str(), spec);
    nestrt_model* model = nestrt::testing::load_model(path.str(), NESTRT_MODE_FULL);
    ASSERT_NE(model, nullptr);
    const int oh = 2 * sh + 1, ow = 3 * sw + 1;
    std::vector<float> x(60);  // NCHW [1, 5, 3, 4] on the input grid
    for (int i = 0; i < 60; ++i)
      x[size_t(i)] = spec.input_scale * float((i * 71 + 5) % 256 - 128 - spec.input_zero_point);
    std::vector<float> want(size_t(5 * oh * ow), 0.f);  // NCHW; the zeros dequantise to exactly 0
    for (int c = 0; c < 5; ++c)
      for (int y = 0; y < 3; ++y)
        for (int xx = 0; xx < 4; ++xx) want[size_t((c * oh + y * sh) * ow + xx * sw)] = x[size_t((c * 3 + y) * 4 + xx)];
    for (nestrt::kernels::Variant variant : {nestrt::kernels::Variant::kRef, nestrt::kernels::best_variant()}) {
      nestrt::kernels::set_variant(variant);
      for (uint32_t threads : {1u, 2u, 3u}) {
        SCOPED_TRACE(std::string(nestrt::kernels::variant_name(variant)) + ", " + std::to_string(threads) +
                     " thread(s), strides " + std::to_string(sh) + "x" + std::to_string(sw));
        EXPECT_EQ(run(model, x, want.size(), threads), want);
      }
    }
    nestrt::kernels::reset_variant();
    nestrt_model_release(model);
  }
}

TEST(ZeroInsertModelTest, XnnpackBackendRefusesZeroInsert) {
  TempPath path("zero_insert_xnnpack.nest");
  write_zero_insert_model(path.str());
  expect_xnnpack_refuses(path.str(), "zeros", "ZeroInsert");
}

void expect_zero_insert_rejected(const ZeroInsertModelSpec& spec, const std::string& problem) {
  TempPath path("zero_insert_bad.nest");
  write_zero_insert_model(path.str(), spec);
  expect_file_rejected(path.str(), "zeros", problem);
}

TEST(ZeroInsertBadModelTest, StrideOutOfRangeQuantisationChangeClampOrWrongOutputShape) {
  ZeroInsertModelSpec spec;
  spec.out_shape = {1, 5, 10, 5};
  spec.stride_h = 0;
  expect_zero_insert_rejected(spec, "ZeroInsert stride_h 0 lies outside [1, 64]");
  spec.stride_h = 2;
  spec.stride_w = 65;
  expect_zero_insert_rejected(spec, "ZeroInsert stride_w 65 lies outside [1, 64]");
  spec = {};
  spec.options = "";
  expect_zero_insert_rejected(spec, "needs ZeroInsertOptions");
  spec = {};
  spec.output_scale = 0.5f;
  expect_zero_insert_rejected(spec, "ZeroInsert must keep the quantisation");
  spec = {};
  spec.output_zero_point = 0;
  expect_zero_insert_rejected(spec, "ZeroInsert must keep the quantisation");
  spec = {};
  spec.output_min = -100;
  expect_zero_insert_rejected(spec, "a fused clamp (output_min/output_max other than -128/127) is not supported");
  spec = {};
  spec.out_shape = {1, 6, 10, 5};  // (3 - 1) * 2 + 1 = 5 rows, not 3 * 2
  expect_zero_insert_rejected(spec, "output shape [1,6,10,5] should be [1,5,10,5]");
}

}  // namespace
