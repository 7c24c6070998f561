// Faults during loading and switching (issue 7): mmap and madvise failures injected through
// nestrt/format/fault_injection.h. A failed switch must change nothing — the model keeps serving
// its previous level with that level's exact outputs — and must report the errno; transient
// errors are retried; a kernel without MADV_POPULATE_READ takes the fallback path.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "c_api_helpers.h"
#include "nestrt/format/fault_injection.h"
#include "nestrt/nestrt.h"
#include "tiny_model.h"

namespace {

namespace fi = nestrt::fault_injection;
using nestrt::testing::TempPath;
using nestrt::testing::write_tiny_model;

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tiny_model(path_.str());
    // References from fresh loads, before any fault: full, part, and the graded middle level.
    full_ = reference(NESTRT_MODE_FULL);
    part_ = reference(NESTRT_MODE_PART);
    ASSERT_NE(full_, part_) << "the tiny model must give different outputs per mode for these tests to mean anything";
  }
  void TearDown() override {
    fi::disarm_all();
    if (session_ != nullptr) nestrt_session_destroy(session_);
    if (model_ != nullptr) nestrt_model_release(model_);
  }

  nestrt_model* load(nestrt_mode mode) { return nestrt::testing::load_model(path_.str(), mode); }
  static std::vector<float> run(nestrt_session* s, nestrt_mode* used = nullptr) {
    const std::vector<float> x = nestrt::testing::tiny_input();
    std::vector<float> y(3);
    EXPECT_EQ(nestrt_run(s, x.data(), x.size(), y.data(), y.size(), used), NESTRT_OK) << nestrt_last_error();
    return y;
  }
  std::vector<float> reference(nestrt_mode mode) {
    nestrt_model* m = load(mode);
    nestrt_session* s = nullptr;
    EXPECT_EQ(nestrt_session_create(m, nullptr, &s), NESTRT_OK);
    auto y = run(s);
    nestrt_session_destroy(s);
    nestrt_model_release(m);
    return y;
  }
  void open(nestrt_mode mode) {
    model_ = load(mode);
    ASSERT_EQ(nestrt_session_create(model_, nullptr, &session_), NESTRT_OK) << nestrt_last_error();
  }
  // The model serves `mode` with that mode's reference outputs.
  void expect_serving(nestrt_mode mode) {
    nestrt_stats stats;
    ASSERT_EQ(nestrt_model_stats(model_, &stats), NESTRT_OK);
    EXPECT_EQ(stats.mode, mode);
    nestrt_mode used = NESTRT_MODE_GRADED;
    EXPECT_EQ(run(session_, &used), mode == NESTRT_MODE_FULL ? full_ : part_);
    EXPECT_EQ(used, mode);
  }
  uint64_t switch_count() {
    nestrt_stats stats;
    EXPECT_EQ(nestrt_model_stats(model_, &stats), NESTRT_OK);
    return stats.switch_count;
  }

  TempPath path_{"faults.nest"};
  std::vector<float> full_, part_;
  nestrt_model* model_ = nullptr;
  nestrt_session* session_ = nullptr;
};

TEST_F(FaultInjectionTest, MmapFailureAtLoadIsAnIoErrorNamingTheFile) {
  fi::arm(fi::Call::kMmapModel, ENOMEM);
  nestrt_model* m = nullptr;
  EXPECT_EQ(nestrt_model_load(path_.str().c_str(), nullptr, &m), NESTRT_IO_ERROR);
  EXPECT_EQ(m, nullptr);
  const std::string error = nestrt_last_error();
  EXPECT_NE(error.find(path_.str() + ": mmap failed: " + std::strerror(ENOMEM)), std::string::npos) << error;
  open(NESTRT_MODE_FULL);  // the failure was one call: the next load works
  expect_serving(NESTRT_MODE_FULL);
}

TEST_F(FaultInjectionTest, FailedPageInLeavesThePartModelServing) {
  open(NESTRT_MODE_PART);
  for (int error : {ENOMEM, EIO, EFAULT, EPERM}) {
    SCOPED_TRACE(std::strerror(error));
    fi::arm(fi::Call::kMadvisePopulate, error);
    const uint64_t switches = switch_count();
    nestrt_switch_info info{};
    EXPECT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, &info), NESTRT_IO_ERROR);
    const std::string message = nestrt_last_error();
    EXPECT_NE(message.find("MADV_POPULATE_READ"), std::string::npos) << message;
    EXPECT_NE(message.find(std::strerror(error)), std::string::npos) << message;
    EXPECT_EQ(switch_count(), switches);
    expect_serving(NESTRT_MODE_PART);
  }
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_FULL);
}

TEST_F(FaultInjectionTest, FailedPageOutLeavesTheFullModelServing) {
  open(NESTRT_MODE_FULL);
  fi::arm(fi::Call::kMadviseDontneed, ENOMEM);
  EXPECT_EQ(nestrt_switch(model_, NESTRT_MODE_PART, nullptr), NESTRT_IO_ERROR);
  EXPECT_NE(std::string(nestrt_last_error()).find("MADV_DONTNEED"), std::string::npos) << nestrt_last_error();
  EXPECT_EQ(switch_count(), 0u);
  expect_serving(NESTRT_MODE_FULL);
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_PART, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_PART);
}

TEST_F(FaultInjectionTest, FailedGradedStepKeepsItsLevel) {
  open(NESTRT_MODE_PART);
  const uint32_t levels = nestrt_model_level_count(model_);
  ASSERT_GE(levels, 2u);
  fi::arm(fi::Call::kMadvisePopulate, EIO);  // restoring the last layer's low plane fails
  EXPECT_EQ(nestrt_switch_level(model_, levels - 1, nullptr), NESTRT_IO_ERROR);
  EXPECT_NE(std::string(nestrt_last_error()).find(std::strerror(EIO)), std::string::npos) << nestrt_last_error();
  expect_serving(NESTRT_MODE_PART);
  EXPECT_EQ(nestrt_switch_budget(model_, ~uint64_t{0}, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_FULL);
}

TEST_F(FaultInjectionTest, TransientEagainIsRetriedAndPersistentEagainReported) {
  open(NESTRT_MODE_PART);
  fi::arm(fi::Call::kMadvisePopulate, EAGAIN, 2);
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_FULL);
  fi::arm(fi::Call::kMadviseDontneed, EINTR, 2);
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_PART, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_PART);
  fi::arm(fi::Call::kMadvisePopulate, EAGAIN, 100);
  EXPECT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_IO_ERROR);
  expect_serving(NESTRT_MODE_PART);
}

TEST_F(FaultInjectionTest, KernelWithoutPopulateReadUsesTheFallback) {
  open(NESTRT_MODE_PART);
  fi::arm(fi::Call::kMadvisePopulate, EINVAL);  // what Linux < 5.14 (JetPack 5) answers
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_OK) << nestrt_last_error();
  expect_serving(NESTRT_MODE_FULL);
}

}  // namespace
