// Switching on the host (real madvise): full->part releases the low sections from this process
// (at most one page left each), part->full brings them back, and outputs after every switch equal,
// bit for bit, those of a separate process started directly in that mode.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "fashion_fixture.h"

namespace nestrt::testing {
namespace {

constexpr size_t kImages = 48;

// Outputs of kImages images computed in a forked child that loads the model in `mode` (and then
// switches to `level`, if given).
std::vector<float> outputs_from_fresh_process(nestrt_mode mode, int level = -1) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int rc = 0;
    try {
      nestrt_model* m = load_model(mode);
      if (level >= 0 && nestrt_switch_level(m, static_cast<uint32_t>(level), nullptr) != NESTRT_OK) _exit(1);
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

// Writes the file's dirty pages back, then asks the kernel to drop all of them from the page cache
// and reports whether it did. tmpfs cannot (its page cache is the storage).
bool page_cache_can_drop(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  fstat(fd, &st);
  fsync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  const size_t size = static_cast<size_t>(st.st_size), page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  size_t cached = 0;
  std::vector<unsigned char> pages((size + page - 1) / page);
  if (p != MAP_FAILED && mincore(p, size, pages.data()) == 0) {
    for (unsigned char v : pages) cached += v & 1;
  } else {
    cached = pages.size();
  }
  if (p != MAP_FAILED) munmap(p, size);
  close(fd);
  return cached * 2 < pages.size();
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
  if (!page_cache_can_drop(copy)) {
    std::filesystem::remove(copy);
    GTEST_SKIP() << "the filesystem of " << copy << " keeps its pages cached (tmpfs?): nothing to evict";
  }
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

TEST(SwitchingTest, GradedLevelsReleasePrefixesAndMatchAFreshProcess) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  nestrt_model* m = load_model(NESTRT_MODE_FULL);
  auto images = fashion_test_images(m);
  const uint32_t levels = nestrt_model_level_count(m);
  ASSERT_GE(levels, 3u);
  const nestrt_stats loaded = stats_of(m);
  EXPECT_EQ(loaded.level, 0u);
  EXPECT_EQ(loaded.level_count, levels);
  std::vector<nestrt_level_info> info(levels + 1);
  for (uint32_t level = 0; level <= levels; ++level)
    ASSERT_EQ(nestrt_model_level_info(m, level, &info[level]), NESTRT_OK);
  EXPECT_EQ(info[0].weight_bytes, loaded.high_bytes + loaded.low_bytes);
  EXPECT_EQ(info[levels].weight_bytes, loaded.high_bytes);
  EXPECT_EQ(info[0].layer, nullptr);
  for (uint32_t level = 1; level <= levels; ++level) {
    EXPECT_LE(info[level].weight_bytes, info[level - 1].weight_bytes) << "level " << level;
    EXPECT_NE(info[level].layer, nullptr);
  }
  EXPECT_LT(info[levels / 2].weight_bytes, info[0].weight_bytes) << "a middle level should free something";

  // Down the levels and back up: residency follows each level and outputs equal a fresh process's.
  std::vector<uint32_t> walk;
  for (uint32_t level = 0; level <= levels; ++level) walk.push_back(level);
  for (uint32_t level = levels; level-- > 0;) walk.push_back(level);
  bool some_level_mixes = false;
  const auto full = outputs_from_fresh_process(NESTRT_MODE_FULL), part = outputs_from_fresh_process(NESTRT_MODE_PART);
  for (uint32_t level : walk) {
    SCOPED_TRACE("level " + std::to_string(level));
    nestrt_switch_info sw;
    ASSERT_EQ(nestrt_switch_level(m, level, &sw), NESTRT_OK) << nestrt_last_error();
    EXPECT_EQ(sw.level, level);
    EXPECT_EQ(sw.weight_bytes, info[level].weight_bytes);
    const nestrt_stats s = stats_of(m);
    EXPECT_EQ(s.level, level);
    EXPECT_EQ(s.mode, level == 0 ? NESTRT_MODE_FULL : level == levels ? NESTRT_MODE_PART : NESTRT_MODE_GRADED);
    const uint64_t kept_low = info[level].weight_bytes - loaded.high_bytes;
    EXPECT_LE(s.low_resident_bytes, kept_low + page);
    EXPECT_GE(s.low_resident_bytes + page, kept_low);
    const auto out = run_images(m, images, kImages);
    if (level == 0) {
      EXPECT_EQ(out, full);
    }
    if (level == levels) {
      EXPECT_EQ(out, part);
    }
    if (level != 0 && level != levels && out != full && out != part) some_level_mixes = true;
    if (level == levels / 2 || level == 1) {
      EXPECT_EQ(out, outputs_from_fresh_process(NESTRT_MODE_FULL, int(level)));
    }
    EXPECT_LE(stats_of(m).low_resident_bytes, kept_low + page) << "runs must not touch released low planes";
  }
  EXPECT_TRUE(some_level_mixes) << "intermediate levels should give outputs of their own";
  nestrt_model_release(m);
}

TEST(SwitchingTest, BudgetPicksTheLowestLevelThatFits) {
  nestrt_model* m = load_model(NESTRT_MODE_FULL);
  const uint32_t levels = nestrt_model_level_count(m);
  std::vector<uint64_t> bytes(levels + 1);
  for (uint32_t level = 0; level <= levels; ++level) {
    nestrt_level_info info;
    ASSERT_EQ(nestrt_model_level_info(m, level, &info), NESTRT_OK);
    bytes[level] = info.weight_bytes;
  }
  for (uint64_t budget : {bytes[0], bytes[0] - 1, bytes[levels / 2], bytes[levels / 2] + 1, bytes[levels],
                          bytes[levels] - 1, uint64_t{0}}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    nestrt_switch_info sw;
    ASSERT_EQ(nestrt_switch_budget(m, budget, &sw), NESTRT_OK) << nestrt_last_error();
    if (budget >= bytes[levels]) {
      EXPECT_LE(sw.weight_bytes, budget);
      for (uint32_t lower = 0; lower < sw.level; ++lower)
        EXPECT_GT(bytes[lower], budget) << "level " << lower << " fits";
    } else {
      EXPECT_EQ(sw.level, levels) << "nothing fits: the smallest footprint";
      EXPECT_GT(sw.weight_bytes, budget);
    }
    EXPECT_EQ(stats_of(m).level, sw.level);
  }
  nestrt_switch_info sw;
  EXPECT_EQ(nestrt_switch_level(m, levels + 1, &sw), NESTRT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nestrt_last_error()).find("out of range"), std::string::npos);
  EXPECT_EQ(nestrt_switch(m, NESTRT_MODE_GRADED, &sw), NESTRT_INVALID_ARGUMENT);
  nestrt_level_info info;
  EXPECT_EQ(nestrt_model_level_info(m, levels + 1, &info), NESTRT_INVALID_ARGUMENT);
  EXPECT_EQ(nestrt_model_level_info(nullptr, 0, &info), NESTRT_INVALID_ARGUMENT);
  nestrt_model_release(m);
}

}  // namespace
}  // namespace nestrt::testing
