// Method gptq: the nesting invariants, the fallback, and that it really lowers the part-mode output
// error on calibration data (measured here directly from the rows, not from the code's H).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/hessian.h"
#include "nestrt/converter/nest.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/io/sample_source.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

// Correlated input rows: a few shared latent factors plus a little independent noise, with ReLU
// style zeros in every other column, like conv inputs after an activation.
std::vector<double> correlated_rows(size_t rows, size_t columns, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  constexpr size_t kFactors = 3;
  std::vector<double> loading(columns * kFactors);
  for (double& v : loading) v = normal(rng);
  std::vector<double> x(rows * columns);
  for (size_t n = 0; n < rows; ++n) {
    double z[kFactors];
    for (double& v : z) v = normal(rng);
    for (size_t k = 0; k < columns; ++k) {
      double v = 0.1 * normal(rng);
      for (size_t f = 0; f < kFactors; ++f) v += loading[k * kFactors + f] * z[f];
      x[n * columns + k] = k % 2 == 0 ? std::max(v, 0.0) : v;
    }
  }
  return x;
}

LayerHessian hessian_of(const std::vector<double>& x, size_t rows, size_t columns) {
  LayerHessian h{1, columns, rows, std::vector<double>(columns * columns, 0.0)};
  for (size_t n = 0; n < rows; ++n) {
    for (size_t a = 0; a < columns; ++a) {
      for (size_t b = 0; b < columns; ++b) h.xx[a * columns + b] += x[n * columns + a] * x[n * columns + b];
    }
  }
  return h;
}

std::vector<int8_t> random_weights(size_t count, int qmax, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, qmax / 3.0);
  std::vector<int8_t> q(count);
  for (auto& v : q) v = static_cast<int8_t>(std::clamp(std::nearbyint(normal(rng)), -1.0 * qmax, 1.0 * qmax));
  q[0] = static_cast<int8_t>(qmax);  // the channel maximum, as per-channel quantisation gives
  return q;
}

// sum over rows and channels of (x . (s_c q - s_p high))^2, straight from the rows.
double output_error(const std::vector<double>& x, size_t rows, const std::vector<int8_t>& q,
                    const std::vector<int8_t>& high, size_t channels, double full_scale, double part_scale) {
  const size_t k = q.size() / channels;
  double e = 0.0;
  for (size_t c = 0; c < channels; ++c) {
    for (size_t n = 0; n < rows; ++n) {
      double r = 0.0;
      for (size_t j = 0; j < k; ++j) r += x[n * k + j] * (full_scale * q[c * k + j] - part_scale * high[c * k + j]);
      e += r * r;
    }
  }
  return e;
}

TEST(Gptq, FullModeExactAndEveryHighIsFloorOrCeil) {
  const std::vector<std::vector<int32_t>> shapes = {{6, 3, 3, 5}, {4, 1, 1, 37}, {5, 3, 3, 1}};
  for (const auto& shape : shapes) {
    const size_t channels = static_cast<size_t>(shape[0]), k = static_cast<size_t>(shape[1] * shape[2] * shape[3]);
    const size_t rows = 3 * k;
    const LayerHessian h = hessian_of(correlated_rows(rows, k, 5), rows, k);
    for (const auto& [n, hb] : std::vector<std::pair<int, int>>{{8, 6}, {8, 5}, {8, 4}, {6, 4}, {8, 1}}) {
      const NestConfig config{n, hb, NestMethod::kGptq};
      SCOPED_TRACE(std::to_string(n) + ":" + std::to_string(hb) + " K=" + std::to_string(k));
      const int qmax = (1 << (n - 1)) - 1, step = 1 << config.low_bits();
      const std::vector<int8_t> q = random_weights(channels * k, qmax, 11);
      const NestedPlanes planes = nest_weights(q, shape, config, &h);
      EXPECT_EQ(planes.method, NestMethod::kGptq);
      EXPECT_EQ(nest_weights(q, shape, config, &h).high, planes.high) << "deterministic";
      for (size_t i = 0; i < q.size(); ++i) {
        SCOPED_TRACE("q=" + std::to_string(q[i]));
        ASSERT_EQ(planes.high[i] * step + planes.low[i], q[i]);
        const int floor = static_cast<int>(std::floor(q[i] / static_cast<double>(step)));
        ASSERT_TRUE(planes.high[i] == floor || planes.high[i] == floor + 1);
        ASSERT_GE(planes.low[i], -step);  // signed, l + 1 bits
        ASSERT_LT(planes.low[i], step);
        ASSERT_GE(planes.high[i], -(1 << (hb - 1)));
        ASSERT_LE(planes.high[i], (1 << (hb - 1)) - 1);
      }
    }
  }
}

TEST(Gptq, WithoutUsableDataFallsBackToSquant) {
  const std::vector<int32_t> shape = {4, 3, 3, 2};
  const std::vector<int8_t> q = random_weights(72, 127, 3);
  const NestConfig gptq{8, 5, NestMethod::kGptq};
  const NestedPlanes squant = nest_weights(q, shape, {8, 5, NestMethod::kSquant});
  const LayerHessian zero{1, 18, 10, std::vector<double>(18 * 18, 0.0)};  // input always 0
  const LayerHessian wrong{1, 17, 10, std::vector<double>(17 * 17, 1.0)};
  for (const LayerHessian* h : {static_cast<const LayerHessian*>(nullptr), &zero, &wrong}) {
    const NestedPlanes planes = nest_weights(q, shape, gptq, h);
    EXPECT_EQ(planes.method, NestMethod::kSquant);
    EXPECT_EQ(planes.high, squant.high);
  }
}

TEST(Gptq, LowersPartModeOutputErrorOnCorrelatedInputs) {
  const size_t channels = 16, k = 72, rows = 600;  // e.g. a 3x3 conv over 8 channels
  const std::vector<int32_t> shape = {16, 3, 3, 8};
  const std::vector<double> x = correlated_rows(rows, k, 21);
  const LayerHessian h = hessian_of(x, rows, k);
  for (int hb : {6, 5, 4}) {
    SCOPED_TRACE("8:" + std::to_string(hb));
    const std::vector<int8_t> q = random_weights(channels * k, 127, 100 + hb);
    const double step = 1 << (8 - hb);
    const auto error = [&](NestMethod m) {
      const NestedPlanes p = nest_weights(q, shape, {8, hb, m}, &h);
      return output_error(x, rows, q, p.high, channels, 1.0, step);
    };
    const double nearest = error(NestMethod::kNearest), squant = error(NestMethod::kSquant),
                 gptq = error(NestMethod::kGptq);
    std::printf("8:%d part-mode output error: nearest %.4g, squant %.4g, gptq %.4g\n", hb, nearest, squant, gptq);
    EXPECT_LT(gptq, 0.5 * nearest) << "nearest " << nearest << " squant " << squant << " gptq " << gptq;
    EXPECT_LT(gptq, 0.5 * squant) << "nearest " << nearest << " squant " << squant << " gptq " << gptq;
  }
}

// The converter's H must be the output-error matrix of the layer as the runtime computes it: for
// any weight change dw, sum over samples of ||conv(x_q, dw)||^2 = sum_c dw_c^T H_g(c) dw_c, with
// x_q the layer input quantised to int8 and back. Checked on a grouped, strided, padded conv.
TEST(Gptq, CollectedHessianIsTheConvOutputErrorMatrix) {
  testing::TempDir dir;
  Graph g;
  g.source_path = "test";
  g.values = {{"x", {1, 4, 7, 6}}, {"y", {1, 6, 4, 3}}};
  g.input = 0;
  g.output = 1;
  Node conv;
  conv.op = OpKind::kConv;
  conv.name = "conv";
  conv.inputs = {0};
  conv.output = 1;
  conv.weight_shape = {6, 2, 3, 3};
  conv.weights = testing::random_floats(108, 1);
  conv.bias.assign(6, 0.0f);
  conv.conv.stride_h = conv.conv.stride_w = 2;
  conv.conv.pad_top = conv.conv.pad_left = conv.conv.pad_bottom = conv.conv.pad_right = 1;
  conv.conv.groups = 2;
  g.nodes = {conv};
  const size_t samples_count = 5;
  testing::write_npy(dir.file("x.npy"), {5, 4, 7, 6}, testing::random_floats(5 * 168, 2, -0.5f, 1.0f));
  const io::SampleSource samples(dir.file("x.npy"), {1, 4, 7, 6}, io::Preprocess{});
  const std::vector<Range> ranges = calibrate(g, samples, samples_count);
  const QuantisedModel model = quantise_graph(g, ranges, {8, 6, NestMethod::kGptq});
  const LayerHessians hessians = collect_hessians(g, model, samples, samples_count);
  ASSERT_EQ(hessians.count("conv"), 1u);
  const LayerHessian& h = hessians.at("conv");
  ASSERT_EQ(h.groups, 2u);
  ASSERT_EQ(h.columns, 18u);
  EXPECT_EQ(h.rows, 5u * 12u);

  // Independent side: the float executor running dw on the int8-rounded inputs.
  const ActivationQuant in_quant = model.tensors[0].quant;
  Graph probe = g;
  probe.nodes[0].weights = testing::random_floats(108, 9);  // dw, OIHW
  FloatExecutor executor(probe);
  double expected = 0.0;
  for (size_t s = 0; s < samples_count; ++s) {
    std::vector<float> input = samples.get(s);
    for (float& v : input) {
      const double qv =
          std::clamp(std::nearbyint(static_cast<double>(v) / in_quant.scale) + in_quant.zero_point, -128.0, 127.0);
      v = static_cast<float>(in_quant.scale * (qv - in_quant.zero_point));
    }
    for (float y : executor.run(input)) expected += static_cast<double>(y) * y;
  }
  double quadratic = 0.0;
  for (size_t o = 0; o < 6; ++o) {
    std::vector<double> dw(18);  // OHWI order within the group: (ky * 3 + kx) * 2 + ci
    for (size_t ci = 0; ci < 2; ++ci) {
      for (size_t t = 0; t < 9; ++t) dw[t * 2 + ci] = probe.nodes[0].weights[(o * 2 + ci) * 9 + t];
    }
    const double* m = h.xx.data() + (o / 3) * 18 * 18;
    for (size_t a = 0; a < 18; ++a) {
      for (size_t b = 0; b < 18; ++b) quadratic += dw[a] * m[a * 18 + b] * dw[b];
    }
  }
  EXPECT_NEAR(quadratic, expected, 1e-4 * expected);
  ASSERT_EQ(model.notes.size(), 1u) << "quantise_graph without hessians falls back and says so";
  EXPECT_NE(model.notes[0].find("'conv'"), std::string::npos) << model.notes[0];
}

}  // namespace
}  // namespace nestrt::converter
