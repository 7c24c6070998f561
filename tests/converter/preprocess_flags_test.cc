// nestrt-convert --resize / --crop / --layout end to end: stored in the .nest file, applied to the
// calibration samples, and applied by `nestrt run` exactly as the converter did.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "nestrt/format/model_file.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using nestrt::testing::npy_bytes;
using nestrt::testing::read_file;
using nestrt::testing::write_file;
using testing::TempDir;

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

CommandResult run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// `nestrt run` output without its first line (which names the files).
std::string scores(const CommandResult& r) {
  const size_t eol = r.output.find('\n');
  return eol == std::string::npos ? "" : r.output.substr(eol + 1);
}

// A gray 12x16 image with no symmetry, as pixels (y, x).
uint8_t pattern(int y, int x) {
  return static_cast<uint8_t>((y * 37 + x * 11 + (x * y) % 7 * 20) % 256);
}

class PreprocessFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::tiny_cnn().save(dir_.file("tiny.onnx"));  // input [1,1,8,8]
    // Float calibration data gets no geometry: every model below has the same quantisation.
    testing::write_npy(dir_.file("calib.npy"), {8, 1, 8, 8}, testing::random_floats(512, 3, 0.0f, 1.0f));
  }
  CommandResult convert(const std::string& out, const std::string& flags, const std::string& calib = "calib.npy") {
    return run_command(std::string(NESTRT_CONVERT_EXE) + " " + dir_.file("tiny.onnx") + " -o " + dir_.file(out) +
                       " --calib " + dir_.file(calib) + " --calib-count 8 -q " + flags);
  }
  CommandResult nestrt(const std::string& args) { return run_command(std::string(NESTRT_CLI_EXE) + " " + args); }
  TempDir dir_;
};

TEST_F(PreprocessFlags, StoredInTheFileAndAppliedByNestrtRun) {
  ASSERT_EQ(convert("direct.nest", "").exit_code, 0);
  const CommandResult crop = convert("crop.nest", "--resize 12 --crop 8,8");
  ASSERT_EQ(crop.exit_code, 0) << crop.output;
  {
    const auto file = format::ModelFile::open(dir_.file("crop.nest"));
    const fb::Preprocess* p = file->model().preprocess();
    EXPECT_EQ(p->resize_shorter(), 12);
    EXPECT_EQ(p->resize_height(), 0);
    EXPECT_EQ(p->crop_height(), 8);
    EXPECT_EQ(p->crop_width(), 8);
    const auto direct = format::ModelFile::open(dir_.file("direct.nest"));
    EXPECT_EQ(direct->model().preprocess()->resize_shorter() + direct->model().preprocess()->crop_height(), 0);
  }
  CommandResult info = nestrt("info " + dir_.file("crop.nest"));
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("preprocess: x = (pixel * 0.00392157 - mean) / std, mean 0, std 1, colour gray; resize "
                             "shorter side to 12, centre crop 8x8\n"),
            std::string::npos)
      << info.output;
  info = nestrt("info " + dir_.file("direct.nest"));
  EXPECT_NE(info.output.find("colour gray; resize to the input size\n"), std::string::npos) << info.output;

  // A 12x16 image: its shorter side already is 12, so the crop alone acts: top round(4 / 2) = 2,
  // left round(8 / 2) = 4. The same pixels cropped here must give the same scores on the direct model.
  std::vector<uint8_t> image, cropped;
  for (int y = 0; y < 12; ++y) {
    for (int x = 0; x < 16; ++x) image.push_back(pattern(y, x));
  }
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) cropped.push_back(pattern(2 + y, 4 + x));
  }
  write_file(dir_.file("image.npy"), npy_bytes("|u1", {1, 12, 16}, image));
  write_file(dir_.file("cropped.npy"), npy_bytes("|u1", {1, 8, 8}, cropped));
  const CommandResult with_crop =
      nestrt("run -m " + dir_.file("crop.nest") + " -i " + dir_.file("image.npy") + " -k 3");
  ASSERT_EQ(with_crop.exit_code, 0) << with_crop.output;
  const CommandResult by_hand =
      nestrt("run -m " + dir_.file("direct.nest") + " -i " + dir_.file("cropped.npy") + " -k 3");
  ASSERT_EQ(by_hand.exit_code, 0) << by_hand.output;
  EXPECT_EQ(scores(with_crop), scores(by_hand));
  EXPECT_NE(scores(with_crop).find("3. class"), std::string::npos) << with_crop.output;
  // Without the crop the whole 12x16 image is squeezed to 8x8: another input, other scores.
  const CommandResult squeezed =
      nestrt("run -m " + dir_.file("direct.nest") + " -i " + dir_.file("image.npy") + " -k 3");
  ASSERT_EQ(squeezed.exit_code, 0) << squeezed.output;
  EXPECT_NE(scores(squeezed), scores(with_crop));

  // nestrt eval reads the input the same way (one labelled sample).
  write_file(dir_.file("labels.txt"), {'0', '\n'});
  const CommandResult eval = nestrt("eval -m " + dir_.file("crop.nest") + " -d " + dir_.file("image.npy") + " -l " +
                                    dir_.file("labels.txt") + " --mode full");
  EXPECT_EQ(eval.exit_code, 0) << eval.output;

  // --resize N without a crop needs images of the input's aspect ratio; others are refused by size.
  ASSERT_EQ(convert("short.nest", "--resize 8").exit_code, 0);
  const CommandResult refused = nestrt("run -m " + dir_.file("short.nest") + " -i " + dir_.file("image.npy"));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("image of 12x16 becomes 8x10 (resize shorter side to 8), but the model input is 8x8"),
            std::string::npos)
      << refused.output;
}

// The calibration samples get the same geometry: the float model's outputs on 12x16 pixel arrays
// with --resize 12 --crop 8,8 equal those on the same pixels cropped by hand.
TEST_F(PreprocessFlags, CalibrationAppliesTheGeometry) {
  std::vector<uint8_t> images, cropped;
  for (int n = 0; n < 3; ++n) {
    for (int y = 0; y < 12; ++y) {
      for (int x = 0; x < 16; ++x) images.push_back(static_cast<uint8_t>(pattern(y, x) + 50 * n));
    }
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) cropped.push_back(static_cast<uint8_t>(pattern(2 + y, 4 + x) + 50 * n));
    }
  }
  write_file(dir_.file("images.npy"), npy_bytes("|u1", {3, 12, 16}, images));
  write_file(dir_.file("cropped.npy"), npy_bytes("|u1", {3, 8, 8}, cropped));
  const CommandResult a =
      convert("a.nest", "--resize 12 --crop 8,8 --fp32-outputs " + dir_.file("a.npy"), "images.npy");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(convert("b.nest", "--fp32-outputs " + dir_.file("b.npy"), "cropped.npy").exit_code, 0);
  ASSERT_EQ(convert("c.nest", "--fp32-outputs " + dir_.file("c.npy"), "images.npy").exit_code, 0);
  EXPECT_EQ(read_file(dir_.file("a.npy")), read_file(dir_.file("b.npy")));
  EXPECT_NE(read_file(dir_.file("a.npy")), read_file(dir_.file("c.npy")));  // squeezed, not cropped
}

TEST_F(PreprocessFlags, BadSizesAreClearErrors) {
  const auto error = [&](const std::string& flags, int code) {
    const CommandResult r = convert("bad.nest", flags);
    EXPECT_EQ(r.exit_code, code) << flags << "\n" << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir_.file("bad.nest"))) << flags;
    return r.output;
  };
  EXPECT_NE(error("--crop 6,6", 1)
                .find("nestrt-convert: error: --resize/--crop: centre crop 6x6 differs from the "
                      "model input 8x8"),
            std::string::npos);
  EXPECT_NE(
      error("--resize 4 --crop 8,8", 1).find("centre crop 8x8 is larger than any image resized to a shorter side of 4"),
      std::string::npos);
  EXPECT_NE(error("--resize 6,9 --crop 8,8", 1).find("centre crop 8x8 is larger than the resized image of 6x9"),
            std::string::npos);
  EXPECT_NE(error("--resize 10,10", 1).find("resize to 10x10 without a crop differs from the model input 8x8"),
            std::string::npos);
  EXPECT_NE(error("--resize 0", 2).find("--resize: sizes must be between 1 and 65536, got '0'"), std::string::npos);
  EXPECT_NE(error("--resize 8,x", 2).find("--resize: expected H,W or N (shorter side), got '8,x'"), std::string::npos);
  EXPECT_NE(error("--crop 8,8,8", 2).find("expected H,W"), std::string::npos);
  EXPECT_EQ(error("--layout hwc", 2).find("nestrt-convert: usage error: --layout"), 0u);
  ASSERT_EQ(convert("square.nest", "--resize 9,9 --crop 8").exit_code, 0);  // N: a square crop
  EXPECT_EQ(format::ModelFile::open(dir_.file("square.nest"))->model().preprocess()->crop_width(), 8);

  const CommandResult help = run_command(std::string(NESTRT_CONVERT_EXE) + " --help");
  EXPECT_NE(help.output.find("--resize"), std::string::npos);
  EXPECT_NE(help.output.find("CenterCrop"), std::string::npos);
  EXPECT_NE(help.output.find("--layout"), std::string::npos);
}

// --layout nhwc for .npy files, in the converter (calibration) and in nestrt run.
TEST_F(PreprocessFlags, NhwcNpyInputs) {
  const std::vector<float> values = testing::random_floats(8 * 64, 3, 0.0f, 1.0f);
  testing::write_npy(dir_.file("calib_nhwc.npy"), {8, 8, 8, 1}, values);  // C = 1: the same bytes
  const CommandResult refused = convert("x.nest", "", "calib_nhwc.npy");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("does not fit the model input [1,1,8,8]"), std::string::npos) << refused.output;
  const CommandResult ok =
      convert("nhwc.nest", "--layout nhwc --fp32-outputs " + dir_.file("nhwc.npy"), "calib_nhwc.npy");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  ASSERT_EQ(convert("nchw.nest", "--fp32-outputs " + dir_.file("nchw.npy")).exit_code, 0);
  EXPECT_EQ(read_file(dir_.file("nhwc.npy")), read_file(dir_.file("nchw.npy")));

  testing::write_npy(dir_.file("one_hwc.npy"), {8, 8, 1}, std::vector<float>(values.begin(), values.begin() + 64));
  testing::write_npy(dir_.file("one_chw.npy"), {1, 8, 8}, std::vector<float>(values.begin(), values.begin() + 64));
  const CommandResult a =
      nestrt("run -m " + dir_.file("nchw.nest") + " -i " + dir_.file("one_hwc.npy") + " --layout nhwc");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("(.npy [8,8,1] nhwc)"), std::string::npos) << a.output;
  const CommandResult b = nestrt("run -m " + dir_.file("nchw.nest") + " -i " + dir_.file("one_chw.npy"));
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(scores(a), scores(b));
  EXPECT_EQ(nestrt("run -m " + dir_.file("nchw.nest") + " -i " + dir_.file("one_hwc.npy") + " --layout hwc").exit_code,
            2);
}

}  // namespace
}  // namespace nestrt::converter
