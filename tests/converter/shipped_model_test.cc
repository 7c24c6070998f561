// The shipped Fashion-MNIST models (models/: the ResNet and the MobileNetV2): the float import
// must reproduce torch, and the converted model must keep its predictions. Missing files are
// failures, not skips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "int8_reference.h"
#include "nestrt/converter/convert.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/io/data.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

const std::string kTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
const std::string kTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

std::vector<float> test_image(const io::IdxImages& images, int i) {
  const size_t plane = static_cast<size_t>(images.rows * images.cols);
  std::vector<float> x(plane);
  for (size_t p = 0; p < plane; ++p) x[p] = images.pixels[static_cast<size_t>(i) * plane + p] * (1.0f / 255.0f);
  return x;
}

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

struct ShippedModelCase {
  const char* name;
  double min_full_sqnr_db, min_part_sqnr_db;  // per layer
};

void PrintTo(const ShippedModelCase& c, std::ostream* os) {
  *os << c.name;
}

class ShippedModel : public ::testing::TestWithParam<ShippedModelCase> {
 protected:
  std::string file(const char* suffix) const {
    return testing::source_file(std::string("models/") + GetParam().name + suffix);
  }
  const std::string kModel = file(".onnx");
  const std::string kLogits = file(".ref_logits.npy");
  const std::string kPredictions = file(".fp32_pred.u8");
};

INSTANTIATE_TEST_SUITE_P(Models, ShippedModel,
                         ::testing::Values(ShippedModelCase{"fashion_mnist_resnet", 38.0, 25.0},
                                           ShippedModelCase{"fashion_mnist_mobilenetv2", 38.0, 25.0}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST_P(ShippedModel, FloatExecutorMatchesTorchLogits) {
  ASSERT_TRUE(std::filesystem::exists(kModel)) << kModel;
  ASSERT_TRUE(std::filesystem::exists(kLogits)) << kLogits;
  const io::FloatTensor logits = io::load_npy(kLogits);
  ASSERT_EQ(logits.shape, (std::vector<int64_t>{64, 10}));
  const io::IdxImages images = io::load_idx_images(kTestImages);

  const Graph imported = import_onnx_file(kModel);
  Graph normalised = imported;
  normalise(normalised);
  FloatExecutor unfolded(imported), folded(normalised), xnnpack(normalised, FloatEngine::kXnnpack);
  EXPECT_GT(xnnpack.xnnpack_nodes(), normalised.nodes.size() / 2);
  double worst_unfolded = 0.0, worst_folded = 0.0, worst_xnnpack = 0.0;
  for (int i = 0; i < 64; ++i) {
    const std::vector<float> x = test_image(images, i);
    const std::vector<float> a = unfolded.run(x), b = folded.run(x), c = xnnpack.run(x);
    for (size_t k = 0; k < 10; ++k) {
      const double expected = logits.data[static_cast<size_t>(i) * 10 + k];
      worst_unfolded = std::max(worst_unfolded, std::fabs(a[k] - expected));
      worst_folded = std::max(worst_folded, std::fabs(b[k] - expected));
      worst_xnnpack = std::max(worst_xnnpack, std::fabs(c[k] - expected));
    }
  }
  std::printf(
      "max |logit - torch| over 64 images: %.3g (as imported), %.3g (BatchNormalization folded), %.3g (folded, "
      "XNNPACK engine: %zu of %zu nodes)\n",
      worst_unfolded, worst_folded, worst_xnnpack, xnnpack.xnnpack_nodes(), normalised.nodes.size());
  EXPECT_LT(worst_unfolded, 1e-4);
  EXPECT_LT(worst_folded, 1e-4);
  EXPECT_LT(worst_xnnpack, 1e-4);
}

TEST_P(ShippedModel, ConvertedModelKeepsThePredictions) {
  ASSERT_TRUE(std::filesystem::exists(kModel)) << kModel;
  ASSERT_TRUE(std::filesystem::exists(kPredictions)) << kPredictions;
  testing::TempDir dir;
  ConvertOptions options;
  options.input_path = kModel;
  options.output_path = dir.file("model.nest");
  options.calibration_path = kTrainImages;
  options.labels_path = testing::source_file("models/fashion_mnist_labels.txt");
  const ConversionReport report = convert(options);
  for (const LayerReport& layer : report.layers) {
    if (layer.weight_shape.empty()) continue;
    EXPECT_GT(layer.sqnr_full_db, GetParam().min_full_sqnr_db) << layer.name;
    EXPECT_GT(layer.sqnr_part_db, GetParam().min_part_sqnr_db) << layer.name;
    EXPECT_GT(layer.sqnr_full_db, layer.sqnr_part_db) << layer.name;
  }
  const auto file = format::ModelFile::open(options.output_path);
  std::ifstream in(kPredictions, std::ios::binary);
  const std::string predictions((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const io::IdxImages images = io::load_idx_images(kTestImages);
  testing::Int8Reference full(*file, false), part(*file, true);
  constexpr int kImages = 300;
  int full_agree = 0, part_agree = 0;
  for (int i = 0; i < kImages; ++i) {
    const std::vector<float> x = test_image(images, i);
    const size_t expected = static_cast<uint8_t>(predictions[static_cast<size_t>(i)]);
    full_agree += argmax(full.run(x)) == expected;
    part_agree += argmax(part.run(x)) == expected;
  }
  EXPECT_GE(full_agree, kImages * 97 / 100) << "full mode agrees with FP32 on " << full_agree << "/" << kImages;
  EXPECT_GE(part_agree, kImages * 93 / 100) << "part mode agrees with FP32 on " << part_agree << "/" << kImages;
  std::printf("int8 reference vs FP32 top-1 on %d test images: full %d, part %d\n", kImages, full_agree, part_agree);
  RecordProperty("full_agreement", full_agree);
  RecordProperty("part_agreement", part_agree);
}

}  // namespace
}  // namespace nestrt::converter
