// Threads per session (nestrt_session_options.threads): a run's outputs must not depend on how
// many threads compute it, in every mode, and bad thread counts are refused with a message.
#include <string>

#include "fashion_fixture.h"

namespace nestrt::testing {
namespace {

// Few: more threads than cores (3, 4 on a 2-core machine) make pthreadpool runs ~1000x slower.
constexpr size_t kImages = 16;

std::vector<std::vector<float>> first_images(nestrt_model* model) {
  auto images = fashion_test_images(model);
  std::vector<std::vector<float>> inputs;
  for (size_t i = 0; i < kImages; ++i) inputs.push_back(images.get(i));
  return inputs;
}

std::vector<float> run_with(nestrt_model* model, const std::vector<std::vector<float>>& inputs,
                            const nestrt_session_options& options) {
  nestrt_session* s = nullptr;
  if (nestrt_session_create(model, &options, &s) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  std::vector<float> out(kImages * 10);
  for (size_t i = 0; i < kImages; ++i) {
    const auto& x = inputs[i];
    if (nestrt_run(s, x.data(), x.size(), out.data() + i * 10, 10, nullptr) != NESTRT_OK) {
      nestrt_session_destroy(s);
      throw std::runtime_error(nestrt_last_error());
    }
  }
  nestrt_session_destroy(s);
  return out;
}

class SessionThreadsTest : public ::testing::TestWithParam<nestrt_mode> {};

TEST_P(SessionThreadsTest, OutputsAreBitIdenticalForAnyThreadCount) {
  nestrt_model* model = load_model(GetParam());
  const auto images = first_images(model);
  nestrt_session_options options;
  nestrt_session_options_init(&options);
  const auto one = run_with(model, images, options);
  for (uint32_t threads : {0u, 2u, 3u, 4u}) {
    options.threads = threads;
    EXPECT_EQ(run_with(model, images, options), one) << threads << " threads";
  }
  nestrt_model_release(model);
}

INSTANTIATE_TEST_SUITE_P(Modes, SessionThreadsTest, ::testing::Values(NESTRT_MODE_FULL, NESTRT_MODE_PART),
                         [](const auto& p) { return p.param == NESTRT_MODE_FULL ? "Full" : "Part"; });

TEST(SessionOptionsTest, DefaultsAreOneThreadNative) {
  nestrt_session_options options;
  options.threads = 99;
  options.backend = NESTRT_BACKEND_MAX_ENUM;
  options.debug_checks = 1;
  nestrt_session_options_init(&options);
  EXPECT_EQ(options.threads, 1u);
  EXPECT_EQ(options.backend, NESTRT_BACKEND_NATIVE);
  EXPECT_EQ(options.debug_checks, 0);
}

TEST(SessionOptionsTest, RefusesTooManyThreadsAndUnknownBackends) {
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  nestrt_session_options options;
  nestrt_session_options_init(&options);
  nestrt_session* s = nullptr;
  options.threads = 257;
  EXPECT_EQ(nestrt_session_create(model, &options, &s), NESTRT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nestrt_last_error()).find("at most 256"), std::string::npos) << nestrt_last_error();
  options.threads = 1;
  options.backend = static_cast<nestrt_backend>(7);
  EXPECT_EQ(nestrt_session_create(model, &options, &s), NESTRT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nestrt_last_error()).find("unknown backend 7"), std::string::npos) << nestrt_last_error();
  nestrt_model_release(model);
}

}  // namespace
}  // namespace nestrt::testing
