// Per-operator profiling (nestrt_session_options.profile_ops, nestrt_session_op_profile): one
// entry per operator of the file in its order, multiply-accumulates counted from the file's weight
// and output shapes, times that add up to at most the runs' wall time, reset, and refusals.
#include <chrono>
#include <string>

#include "fashion_fixture.h"
#include "nestrt/format/model_file.h"

namespace nestrt::testing {
namespace {

nestrt_session* profiling_session(nestrt_model* model, nestrt_backend backend) {
  nestrt_session_options options;
  nestrt_session_options_init(&options);
  options.profile_ops = 1;
  options.backend = backend;
  nestrt_session* s = nullptr;
  if (nestrt_session_create(model, &options, &s) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  return s;
}

std::vector<nestrt_op_profile> profile_of(const nestrt_session* s) {
  size_t count = 0;
  EXPECT_EQ(nestrt_session_op_profile(s, nullptr, 0, &count), NESTRT_OK) << nestrt_last_error();
  std::vector<nestrt_op_profile> ops(count);
  EXPECT_EQ(nestrt_session_op_profile(s, ops.data(), ops.size(), &count), NESTRT_OK) << nestrt_last_error();
  return ops;
}

class OpProfileTest : public ::testing::TestWithParam<nestrt_backend> {};

TEST_P(OpProfileTest, OneEntryPerFileOperatorWithMacsAndTimes) {
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  nestrt_session* s = profiling_session(model, GetParam());
  auto images = fashion_test_images(model);
  const std::vector<float> x = images.get(0);
  std::vector<float> y(10);
  constexpr uint64_t kRuns = 3;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t r = 0; r < kRuns; ++r)
    ASSERT_EQ(nestrt_run(s, x.data(), x.size(), y.data(), y.size(), nullptr), NESTRT_OK);
  const auto wall_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  const auto ops = profile_of(s);

  const auto file = format::ModelFile::open(NESTRT_TEST_MODEL);
  const auto& graph = *file->model().graph();
  ASSERT_EQ(ops.size(), graph.operators()->size());
  uint64_t total_ns = 0, weighted = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& op = *graph.operators()->Get(static_cast<unsigned>(i));
    SCOPED_TRACE(op.name()->str());
    EXPECT_EQ(std::string(ops[i].name), op.name()->str());
    EXPECT_EQ(std::string(ops[i].type), fb::EnumNameOpCode(op.code()));
    EXPECT_EQ(ops[i].runs, kRuns);
    uint64_t macs = 0;
    if (op.weights() != nullptr) {  // every weight meets every output position: weights x (outputs / channels)
      const auto& out = *graph.tensors()->Get(static_cast<unsigned>(op.outputs()->Get(0)));
      uint64_t out_elements = 1;
      for (int32_t d : *out.shape()) out_elements *= static_cast<uint64_t>(d);
      const uint64_t channels = static_cast<uint64_t>(out.shape()->Get(out.shape()->size() - 1));
      macs = format::weight_element_count(*op.weights()) * (out_elements / channels);
      EXPECT_GT(ops[i].total_ns, 0u);  // real work cannot take zero time
      ++weighted;
    }
    EXPECT_EQ(ops[i].macs, macs);
    total_ns += ops[i].total_ns;
  }
  EXPECT_GT(weighted, 0u);
  EXPECT_LE(total_ns, static_cast<uint64_t>(wall_ns));

  ASSERT_EQ(nestrt_session_op_profile_reset(s), NESTRT_OK);
  for (const auto& op : profile_of(s)) {
    EXPECT_EQ(op.runs, 0u);
    EXPECT_EQ(op.total_ns, 0u);
  }
  nestrt_session_destroy(s);
  nestrt_model_release(model);
}

INSTANTIATE_TEST_SUITE_P(Backends, OpProfileTest, ::testing::Values(NESTRT_BACKEND_NATIVE, NESTRT_BACKEND_XNNPACK),
                         [](const auto& p) { return p.param == NESTRT_BACKEND_NATIVE ? "Native" : "Xnnpack"; });

TEST(OpProfileTest, ShortCapacityWritesOnlyThatMany) {
  nestrt_model* model = load_model(NESTRT_MODE_PART);
  nestrt_session* s = profiling_session(model, NESTRT_BACKEND_NATIVE);
  nestrt_op_profile ops[3] = {};
  ops[2].name = "untouched";
  size_t count = 0;
  ASSERT_EQ(nestrt_session_op_profile(s, ops, 2, &count), NESTRT_OK);
  EXPECT_GT(count, 2u);
  EXPECT_NE(ops[1].name, nullptr);
  EXPECT_STREQ(ops[2].name, "untouched");
  EXPECT_EQ(nestrt_session_op_profile(s, nullptr, 2, &count), NESTRT_INVALID_ARGUMENT);
  nestrt_session_destroy(s);
  nestrt_model_release(model);
}

TEST(OpProfileTest, SessionWithoutProfilingRefusesWithAMessage) {
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  nestrt_session* s = nullptr;
  ASSERT_EQ(nestrt_session_create(model, nullptr, &s), NESTRT_OK);
  size_t count = 0;
  EXPECT_EQ(nestrt_session_op_profile(s, nullptr, 0, &count), NESTRT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nestrt_last_error()).find("profile_ops"), std::string::npos) << nestrt_last_error();
  EXPECT_EQ(nestrt_session_op_profile_reset(s), NESTRT_INVALID_ARGUMENT);
  nestrt_session_destroy(s);
  nestrt_model_release(model);
}

}  // namespace
}  // namespace nestrt::testing
