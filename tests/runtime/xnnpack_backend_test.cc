// The XNNPACK backend (nestrt_session_options.backend) against the native kernels on the shipped
// model, in full and part mode; switching rebuilds its operators; thread counts do not change
// its outputs. docs/performance.md explains the rounding difference the bound below allows.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <xnnpack.h>

#include "fashion_fixture.h"
#include "model.h"
#include "nestrt/kernels/reference.h"
#include "tiny_model.h"

namespace nestrt::testing {
namespace {

#ifndef NESTRT_XNNPACK_TEST_IMAGES
#define NESTRT_XNNPACK_TEST_IMAGES 10000  // the whole test set (NESTRT_E2E_SAMPLES lowers it)
#endif
constexpr size_t kImages = NESTRT_XNNPACK_TEST_IMAGES;
// Convolutions, pooling and fully connected layers are exact by construction (same int32 sums,
// same fp32 requantisation). XNNPACK's qs8 Add rounds an exact .5 up where we round half to even
// (XnnpackAddRounding below finds one such pair of 65536 in the model's third Add): one step,
// which no image of the test set hits, so the outputs are equal on all of them.
constexpr double kMaxStepDiff = 0;
constexpr int kAddMaxStepDiff = 1;
constexpr double kMinTop1Agreement = 1.0;

const std::vector<std::vector<float>>& test_inputs() {
  static const auto inputs = [] {
    nestrt_model* m = load_model(NESTRT_MODE_FULL);
    auto source = fashion_test_images(m);
    std::vector<std::vector<float>> v;
    for (size_t i = 0; i < std::min(kImages, e2e_sample_count(source.size())); ++i) v.push_back(source.get(i));
    nestrt_model_release(m);
    return v;
  }();
  return inputs;
}

nestrt_session* create(nestrt_model* model, nestrt_backend backend, uint32_t threads = 1) {
  nestrt_session_options o;
  nestrt_session_options_init(&o);
  o.backend = backend;
  o.threads = threads;
  nestrt_session* s = nullptr;
  if (nestrt_session_create(model, &o, &s) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  return s;
}

std::vector<float> run_all(nestrt_session* s, size_t n) {
  const auto& inputs = test_inputs();
  std::vector<float> out(n * 10);
  for (size_t i = 0; i < n; ++i) {
    if (nestrt_run(s, inputs[i].data(), inputs[i].size(), out.data() + i * 10, 10, nullptr) != NESTRT_OK) {
      throw std::runtime_error(nestrt_last_error());
    }
  }
  return out;
}

float output_scale() {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  const auto m = runtime::Model::load(NESTRT_TEST_MODEL, o);
  return m->plan().tensors[static_cast<size_t>(m->plan().output)].scale;
}

class XnnpackVsNative : public ::testing::TestWithParam<nestrt_mode> {};

TEST_P(XnnpackVsNative, OutputsAgreeWithinTheDocumentedBound) {
  nestrt_model* model = load_model(GetParam());
  const size_t n = test_inputs().size();
  nestrt_session* native = create(model, NESTRT_BACKEND_NATIVE);
  nestrt_session* xnn = create(model, NESTRT_BACKEND_XNNPACK);
  const auto a = run_all(native, n), b = run_all(xnn, n);
  nestrt_session_destroy(native);
  nestrt_session_destroy(xnn);
  nestrt_model_release(model);
  const float step = output_scale();
  double max_steps = 0;
  size_t differing = 0, top1_same = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double steps = std::fabs(double(a[i]) - double(b[i])) / step;
    max_steps = std::max(max_steps, steps);
    differing += a[i] != b[i];
  }
  for (size_t i = 0; i < n; ++i) top1_same += argmax10(a.data() + i * 10) == argmax10(b.data() + i * 10);
  const double agreement = double(top1_same) / double(n);
  std::printf(
      "XNNPACK vs native, %s mode, %zu images: max |diff| %.2f output steps, %zu of %zu outputs differ, "
      "top-1 agreement %.4f\n",
      GetParam() == NESTRT_MODE_FULL ? "full" : "part", n, max_steps, differing, a.size(), agreement);
  EXPECT_LE(max_steps, kMaxStepDiff + 1e-3);
  EXPECT_GE(agreement, kMinTop1Agreement);
}

INSTANTIATE_TEST_SUITE_P(Modes, XnnpackVsNative, ::testing::Values(NESTRT_MODE_FULL, NESTRT_MODE_PART),
                         [](const auto& p) { return p.param == NESTRT_MODE_FULL ? "Full" : "Part"; });

// One XNNPACK session across switches (full, part, graded levels, back): each run equals the
// native output of the level it used, so operators are rebuilt for every level change.
TEST(XnnpackBackend, RebuildsOnSwitchesAndIgnoresThreadCount) {
  constexpr size_t kRuns = 16;
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  const uint32_t levels = nestrt_model_level_count(model);
  std::vector<std::vector<float>> native(levels + 1);
  for (uint32_t level = 0; level <= levels; ++level) {
    ASSERT_EQ(nestrt_switch_level(model, level, nullptr), NESTRT_OK) << nestrt_last_error();
    nestrt_session* s = create(model, NESTRT_BACKEND_NATIVE);
    native[level] = run_all(s, kRuns);
    nestrt_session_destroy(s);
  }
  ASSERT_NE(native[0], native[levels]);
  ASSERT_EQ(nestrt_switch_level(model, 0, nullptr), NESTRT_OK);
  nestrt_session* one = create(model, NESTRT_BACKEND_XNNPACK);
  nestrt_session* two = create(model, NESTRT_BACKEND_XNNPACK, 2);
  for (uint32_t level : {levels, 0u, 1u, levels / 2, levels, 0u}) {
    ASSERT_EQ(nestrt_switch_level(model, level, nullptr), NESTRT_OK) << nestrt_last_error();
    EXPECT_EQ(run_all(one, kRuns), native[level]) << "level " << level;
    EXPECT_EQ(nestrt_session_last_level(one), level);
    EXPECT_EQ(run_all(two, kRuns), native[level]) << "level " << level << ", 2 threads";
  }
  nestrt_session_destroy(one);
  nestrt_session_destroy(two);
  nestrt_model_release(model);
}

TEST(XnnpackBackend, RefusesAnOperatorItCannotExpressAtCreation) {
  TempPath path("xnnpack_avgpool.nest");
  TinyModelSpec spec;
  spec.strided_average_pool = true;
  write_tiny_model(path.str(), spec);
  nestrt_model* model = nullptr;
  ASSERT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &model), NESTRT_OK) << nestrt_last_error();
  nestrt_session* s = nullptr;
  ASSERT_EQ(nestrt_session_create(model, nullptr, &s), NESTRT_OK) << "the native backend runs it";
  nestrt_session_destroy(s);
  s = nullptr;
  nestrt_session_options o;
  nestrt_session_options_init(&o);
  o.backend = NESTRT_BACKEND_XNNPACK;
  EXPECT_EQ(nestrt_session_create(model, &o, &s), NESTRT_UNSUPPORTED);
  EXPECT_EQ(s, nullptr);
  const std::string message = nestrt_last_error();
  EXPECT_NE(message.find("operator 'gap'"), std::string::npos) << message;
  EXPECT_NE(message.find("AveragePool2D"), std::string::npos) << message;
  nestrt_model_release(model);
}

// Every (a, b) int8 pair through each of the model's Add ops, XNNPACK's qs8 add (scales mapped
// as the backend maps them) against our reference: how many results differ, and by how much.
TEST(XnnpackAddRounding, ExhaustiveOverTheModelsAddOps) {
  ASSERT_EQ(xnn_initialize(nullptr), xnn_status_success);
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  const auto m = runtime::Model::load(NESTRT_TEST_MODEL, o);
  std::vector<int8_t> a(65536), b(65536), ours(65536), theirs(65536);
  for (size_t i = 0; i < a.size(); ++i) a[i] = int8_t(i & 0xff), b[i] = int8_t(i >> 8);
  size_t adds = 0;
  for (const auto& op : m->plan().ops) {
    if (op.code != fb::OpCode::Add) continue;
    ++adds;
    const auto& p = op.add;
    kernels::qs8_add__ref(a.size(), p, a.data(), b.data(), ours.data());
    xnn_operator_t x = nullptr;
    ASSERT_EQ(
        xnn_create_add_nd_qs8(int8_t(p.a_zero_point), p.a_multiplier, int8_t(p.b_zero_point), p.b_multiplier,
                              int8_t(p.output_zero_point), 1.0f, int8_t(p.output_min), int8_t(p.output_max), 0, &x),
        xnn_status_success);
    const size_t n = a.size();
    ASSERT_EQ(xnn_setup_add_nd_qs8(x, 1, &n, 1, &n, a.data(), b.data(), theirs.data(), nullptr), xnn_status_success);
    ASSERT_EQ(xnn_run_operator(x, nullptr), xnn_status_success);
    xnn_delete_operator(x);
    size_t differ = 0;
    int worst = 0;
    for (size_t i = 0; i < n; ++i) {
      if (ours[i] != theirs[i] && differ == 0) {
        const float exact =
            float(int(a[i]) - p.a_zero_point) * p.a_multiplier + float(int(b[i]) - p.b_zero_point) * p.b_multiplier;
        std::printf("  first difference: a=%d b=%d: ours %d, XNNPACK %d (unrounded %.6f + zero point %d)\n", a[i], b[i],
                    ours[i], theirs[i], double(exact), p.output_zero_point);
      }
      differ += ours[i] != theirs[i];
      worst = std::max(worst, std::abs(int(ours[i]) - int(theirs[i])));
    }
    std::printf("%s: multipliers %.6f %.6f: %zu of %zu results differ, by at most %d\n", op.name.c_str(),
                double(p.a_multiplier), double(p.b_multiplier), differ, n, worst);
    EXPECT_LE(worst, kAddMaxStepDiff);
  }
  EXPECT_GT(adds, 0u);
}

}  // namespace
}  // namespace nestrt::testing
