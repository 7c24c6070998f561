// Switching on the host (real madvise): full->part releases the low sections from this process
// (at most one page left each), part->full brings them back, and outputs after every switch equal,
// bit for bit, those of a separate process started directly in that mode.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "fashion_fixture.h"

namespace nestrt::testing {
namespace {

constexpr size_t kImages = 48;

// Outputs of kImages images computed in a forked child that loads the model in `mode`.
std::vector<float> outputs_from_fresh_process(nestrt_mode mode) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int rc = 0;
    try {
      nestrt_model* m = load_model(mode);
      auto images = fashion_test_images(m);
      const auto out = run_images(m, images, kImages);
      const auto* p = reinterpret_cast<const char*>(out.data());
      size_t left = out.size() * sizeof(float);
      while (left > 0) {
        const ssize_t w = write(fds[1], p, left);
        if (w <= 0) break;
        p += w, left -= static_cast<size_t>(w);
      }
      nestrt_model_release(m);
    } catch (...) {
      rc = 1;
    }
    _exit(rc);
  }
  close(fds[1]);
  std::vector<float> out(kImages * 10);
  auto* p = reinterpret_cast<char*>(out.data());
  size_t got = 0;
  while (got < out.size() * sizeof(float)) {
    const ssize_t r = read(fds[0], p + got, out.size() * sizeof(float) - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != out.size() * sizeof(float) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("child process failed to produce outputs");
  }
  return out;
}

nestrt_stats stats_of(const nestrt_model* m) {
  nestrt_stats s;
  EXPECT_EQ(nestrt_model_stats(m, &s), NESTRT_OK);
  return s;
}

TEST(SwitchingTest, ResidencyFollowsTheModeAndOutputsMatchAFreshProcess) {
  const auto fresh_full = outputs_from_fresh_process(NESTRT_MODE_FULL);
  const auto fresh_part = outputs_from_fresh_process(NESTRT_MODE_PART);
  ASSERT_NE(fresh_full, fresh_part);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

  nestrt_model* m = load_model(NESTRT_MODE_FULL);
  auto images = fashion_test_images(m);
  const nestrt_stats loaded = stats_of(m);
  ASSERT_GT(loaded.low_bytes, 4 * page) << "the shipped model's low planes should span several pages";
  EXPECT_GE(loaded.low_resident_bytes, loaded.low_bytes);
  EXPECT_EQ(run_images(m, images, kImages), fresh_full);

  for (int cycle = 0; cycle < 3; ++cycle) {
    nestrt_switch_info info;
    ASSERT_EQ(nestrt_switch(m, NESTRT_MODE_PART, &info), NESTRT_OK) << nestrt_last_error();
    EXPECT_EQ(info.bytes_paged, loaded.low_bytes);
    const nestrt_stats part = stats_of(m);
    EXPECT_EQ(part.mode, NESTRT_MODE_PART);
    EXPECT_LE(part.low_resident_bytes, page) << "cycle " << cycle;  // one low section: at most one page
    EXPECT_GE(part.high_resident_bytes, part.high_bytes);
    EXPECT_EQ(run_images(m, images, kImages), fresh_part) << "cycle " << cycle;
    EXPECT_LE(stats_of(m).low_resident_bytes, page) << "part-mode runs must not touch the low planes";

    ASSERT_EQ(nestrt_switch(m, NESTRT_MODE_FULL, &info), NESTRT_OK) << nestrt_last_error();
    const nestrt_stats full = stats_of(m);
    EXPECT_EQ(full.mode, NESTRT_MODE_FULL);
    EXPECT_GE(full.low_resident_bytes, full.low_bytes) << "cycle " << cycle;
    EXPECT_EQ(run_images(m, images, kImages), fresh_full) << "cycle " << cycle;
  }
  EXPECT_EQ(stats_of(m).switch_count, 6u);
  nestrt_model_release(m);
}

TEST(SwitchingTest, EvictionPolicyDropsLowPlanesFromThePageCacheAndColdSwitchIsExact) {
  const auto fresh_full = outputs_from_fresh_process(NESTRT_MODE_FULL);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = NESTRT_MODE_PART;
  o.evict_page_cache = 1;
  // A private copy: tests running in parallel map the shared file, and the kernel keeps pages that
  // any process maps. It lives in the build tree, not /tmp, which may be tmpfs (nothing to evict to).
  const std::filesystem::path copy = std::filesystem::path(NESTRT_TEST_MODEL).parent_path() / "evict_copy.nest";
  std::filesystem::copy_file(NESTRT_TEST_MODEL, copy, std::filesystem::copy_options::overwrite_existing);
  nestrt_model* m = nullptr;
  ASSERT_EQ(nestrt_model_load(copy.c_str(), &o, &m), NESTRT_OK) << nestrt_last_error();
  auto images = fashion_test_images(m);
  ASSERT_EQ(nestrt_switch(m, NESTRT_MODE_FULL, nullptr), NESTRT_OK);
  ASSERT_EQ(nestrt_switch(m, NESTRT_MODE_PART, nullptr), NESTRT_OK);  // evicts
  const nestrt_stats part = stats_of(m);
  EXPECT_LE(part.low_resident_bytes, page);
  EXPECT_LE(part.low_cached_bytes, page) << "the low planes should have left the page cache";
  EXPECT_GE(part.high_cached_bytes, part.high_bytes) << "the high planes stay";
  ASSERT_EQ(nestrt_switch(m, NESTRT_MODE_FULL, nullptr), NESTRT_OK);  // cold: read back from the file
  EXPECT_GE(stats_of(m).low_resident_bytes, part.low_bytes);
  EXPECT_EQ(run_images(m, images, kImages), fresh_full);
  nestrt_model_release(m);
  std::filesystem::remove(copy);
}

}  // namespace
}  // namespace nestrt::testing
