// End to end on a real pretrained model: PaddleOCR's text-orientation classifier (MobileNetV3-small
// with HardSwish, squeeze-excite and Softmax), converted by nestrt-convert and run on text-line
// crops of opencv-doc images, upright and rotated by 180 degrees. scripts/test.sh prepares the
// directory named by NESTRT_OCR_DIR (fetch-ocr-model.sh, make_text_crops.py, a --nest 8:6 squant
// conversion, ONNX Runtime's FP32 outputs) and compares the printed digests across host and qemu
// CPU models, like nestrt_e2e_test's. Without NESTRT_OCR_DIR the test is skipped, and says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "nestrt/io/npy.h"
#include "nestrt/io/sample_source.h"
#include "nestrt/nestrt.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace nestrt::testing {
namespace {

std::string ocr_dir() {
  const char* dir = std::getenv("NESTRT_OCR_DIR");
  return dir ? dir : "";
}

std::vector<int> read_labels(const std::string& path) {
  std::ifstream in(path);
  std::vector<int> labels;
  for (int v = 0; in >> v;) labels.push_back(v);
  return labels;
}

struct Result {
  double top1 = 0, fp32_top1 = 0, agreement = 0;
};

Result run_mode(const std::string& dir, nestrt_mode mode) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = mode;
  nestrt_model* model = nullptr;
  if (nestrt_model_load((dir + "/ppocr_cls.nest").c_str(), &o, &model) != NESTRT_OK) {
    ADD_FAILURE() << nestrt_last_error();
    return {};
  }
  nestrt_preprocess p;
  EXPECT_EQ(nestrt_model_preprocess(model, &p), NESTRT_OK);
  io::Preprocess pre;
  pre.scale = p.scale;
  pre.mean.assign(p.mean, p.mean + p.channels);
  pre.std.assign(p.std, p.std + p.channels);
  EXPECT_EQ(p.color, NESTRT_COLOR_BGR) << "converted with --color bgr: PaddleOCR feeds OpenCV's BGR planes";
  pre.color = io::Preprocess::Color::BGR;
  io::SampleSource crops(dir + "/textcrops/crops_u8.npy", {1, 3, 48, 192}, pre);
  const std::vector<int> labels = read_labels(dir + "/textcrops/labels.txt");
  const io::FloatTensor fp32 = io::load_npy(dir + "/textcrops/ort_fp32.npy");
  EXPECT_EQ(labels.size(), crops.size());
  EXPECT_EQ(fp32.data.size(), 2 * crops.size());

  nestrt_session* s = nullptr;
  EXPECT_EQ(nestrt_session_create(model, nullptr, &s), NESTRT_OK) << nestrt_last_error();
  const size_t n = std::min(crops.size(), labels.size());
  std::vector<float> out(2 * n);
  size_t correct = 0, fp32_correct = 0, agree = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::vector<float> x = crops.get(i);
    EXPECT_EQ(nestrt_run(s, x.data(), x.size(), out.data() + 2 * i, 2, nullptr), NESTRT_OK) << nestrt_last_error();
    const int ours = out[2 * i + 1] > out[2 * i] ? 1 : 0;
    const int theirs = fp32.data[2 * i + 1] > fp32.data[2 * i] ? 1 : 0;
    correct += ours == labels[i];
    fp32_correct += theirs == labels[i];
    agree += ours == theirs;
  }
  nestrt_session_destroy(s);
  nestrt_model_release(model);
  Result r;
  r.top1 = 100.0 * double(correct) / double(n);
  r.fp32_top1 = 100.0 * double(fp32_correct) / double(n);
  r.agreement = 100.0 * double(agree) / double(n);
  std::printf(
      "E2E model=ppocr_cls mode=%s samples=%zu top1=%.2f fp32_top1=%.2f agreement_with_fp32=%.2f "
      "output_xxh64=%016llx\n",
      mode == NESTRT_MODE_FULL ? "full" : "part", n, r.top1, r.fp32_top1, r.agreement,
      static_cast<unsigned long long>(XXH64(out.data(), out.size() * sizeof(float), 0)));
  return r;
}

// 422 crops: one crop is 0.24 points. Seen on the host: FP32 (ONNX Runtime) 95.02, full 94.79,
// part 8:6 squant within a point of it.
TEST(PaddleOcrEndToEnd, FullModeWithinOnePointAndPartModeWithinThreeOfFp32) {
  const std::string dir = ocr_dir();
  if (dir.empty()) GTEST_SKIP() << "NESTRT_OCR_DIR is not set (scripts/test.sh prepares the PaddleOCR model)";
  const Result full = run_mode(dir, NESTRT_MODE_FULL);
  EXPECT_GT(full.fp32_top1, 90.0) << "the crops or their preprocessing are off";
  EXPECT_LE(std::fabs(full.top1 - full.fp32_top1), 1.0);
  EXPECT_GE(full.agreement, 97.0);
  const Result part = run_mode(dir, NESTRT_MODE_PART);
  EXPECT_LE(std::fabs(part.top1 - part.fp32_top1), 3.0);
}

}  // namespace
}  // namespace nestrt::testing
