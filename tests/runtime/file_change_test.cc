// A model file changed under a loaded model (docs/reliability.md): replacing it by rename is
// harmless (the mapping keeps the old inode); truncating it turns the SIGBUS of the lost pages
// into NESTRT_IO_ERROR for the run — the process survives, the caller's output buffer is not
// written — and into an error for a switch that would page in past the new end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "c_api_helpers.h"
#include "nestrt/nestrt.h"
#include "tiny_model.h"

namespace {

using nestrt::testing::TempPath;
using nestrt::testing::write_tiny_model;

constexpr long kMetadataEnd = 2 * 64 * 1024;  // header page + metadata section: weights start here

class FileChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tiny_model(path_.str());
    model_ = nestrt::testing::load_model(path_.str(), NESTRT_MODE_PART);
    ASSERT_NE(model_, nullptr);
    ASSERT_EQ(nestrt_session_create(model_, nullptr, &session_), NESTRT_OK) << nestrt_last_error();
  }
  void TearDown() override {
    nestrt_session_destroy(session_);
    nestrt_model_release(model_);
  }
  nestrt_status run(std::vector<float>& y) {
    const auto x = nestrt::testing::tiny_input();
    return nestrt_run(session_, x.data(), x.size(), y.data(), y.size(), nullptr);
  }

  TempPath path_{"changed.nest"};
  nestrt_model* model_ = nullptr;
  nestrt_session* session_ = nullptr;
};

TEST_F(FileChangeTest, ReplacingTheFileByRenameKeepsServingTheLoadedModel) {
  std::vector<float> part(3), full(3), y(3);
  ASSERT_EQ(run(part), NESTRT_OK);
  TempPath other("changed.nest.new");
  nestrt::testing::TinyModelSpec spec;
  spec.seed = 99;  // different weights, same shapes
  write_tiny_model(other.str(), spec);
  ASSERT_EQ(std::rename(other.str().c_str(), path_.str().c_str()), 0);

  ASSERT_EQ(run(y), NESTRT_OK) << nestrt_last_error();
  EXPECT_EQ(y, part);
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_OK) << nestrt_last_error();
  ASSERT_EQ(run(full), NESTRT_OK) << nestrt_last_error();
  EXPECT_NE(full, part);
  ASSERT_EQ(nestrt_switch(model_, NESTRT_MODE_PART, nullptr), NESTRT_OK) << nestrt_last_error();
  ASSERT_EQ(run(y), NESTRT_OK) << nestrt_last_error();
  EXPECT_EQ(y, part);
}

TEST_F(FileChangeTest, TruncationFailsRunsAndSwitchesInsteadOfKillingTheProcess) {
  std::vector<float> y(3);
  ASSERT_EQ(run(y), NESTRT_OK);
  ASSERT_EQ(truncate(path_.str().c_str(), kMetadataEnd), 0);

  // Paging the low planes in would fault past the new end: refused up front, still in part mode.
  EXPECT_EQ(nestrt_switch(model_, NESTRT_MODE_FULL, nullptr), NESTRT_IO_ERROR);
  EXPECT_NE(std::string(nestrt_last_error()).find("changed size while loaded"), std::string::npos)
      << nestrt_last_error();

  // The run reads the high planes, now gone: SIGBUS is absorbed and the run fails.
  const std::vector<float> sentinel = {-7.f, -7.f, -7.f};
  y = sentinel;
  EXPECT_EQ(run(y), NESTRT_IO_ERROR);
  const std::string error = nestrt_last_error();
  EXPECT_NE(error.find(path_.str()), std::string::npos) << error;
  EXPECT_NE(error.find("truncated or rewritten while loaded"), std::string::npos) << error;
  EXPECT_EQ(y, sentinel) << "a failed run must not write the caller's output";
  // Sticky: the lost pages now read as zeros, so later runs fail too instead of answering wrongly.
  EXPECT_EQ(run(y), NESTRT_IO_ERROR);

  // Loading the truncated file again is a clean validation error.
  nestrt_model* again = nullptr;
  EXPECT_EQ(nestrt_model_load(path_.str().c_str(), nullptr, &again), NESTRT_INVALID_MODEL);
  EXPECT_NE(std::string(nestrt_last_error()).find("truncated"), std::string::npos) << nestrt_last_error();
}

}  // namespace
