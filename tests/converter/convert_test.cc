#include "nestrt/converter/convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "int8_reference.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/format/model_file.h"
#include "nestrt/format/plane_coding.h"
#include "plane_values.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::error_of;
using testing::random_floats;
using testing::TempDir;

ConvertOptions tiny_options(const TempDir& dir) {
  testing::tiny_cnn().save(dir.file("tiny.onnx"));
  testing::write_npy(dir.file("calib.npy"), {16, 1, 8, 8}, random_floats(16 * 64, 42, 0.0f, 1.0f));
  std::ofstream(dir.file("labels.txt")) << "cat\ndog\r\nbird\n";
  ConvertOptions o;
  o.input_path = dir.file("tiny.onnx");
  o.output_path = dir.file("tiny.nest");
  o.calibration_path = dir.file("calib.npy");
  o.labels_path = dir.file("labels.txt");
  return o;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Convert, TinyModelFollowsTheFileContract) {
  TempDir dir;
  const ConvertOptions options = tiny_options(dir);
  const ConversionReport report = convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  const fb::Model& m = file->model();
  EXPECT_EQ(report.file_size, file->file_size());
  EXPECT_EQ(m.nesting()->total_bits(), 8);
  EXPECT_EQ(m.nesting()->high_bits(), 6);
  EXPECT_EQ(std::vector<int32_t>(m.input_shape_nchw()->begin(), m.input_shape_nchw()->end()),
            (std::vector<int32_t>{1, 1, 8, 8}));
  ASSERT_EQ(m.labels()->size(), 3u);
  EXPECT_EQ(m.labels()->Get(1)->str(), "dog");
  EXPECT_EQ(m.preprocess()->color(), fb::ColorOrder::Gray);
  EXPECT_EQ(m.provenance()->producer()->str().rfind("nestrt-convert ", 0), 0u);
  EXPECT_EQ(m.provenance()->source_model()->str(), "tiny.onnx");
  EXPECT_NE(m.provenance()->source_xxh64(), 0u);
  EXPECT_EQ(m.provenance()->calibration_samples(), 16u);

  const fb::Graph& g = *m.graph();
  const auto tensor = [&](int32_t i) { return g.tensors()->Get(static_cast<uint32_t>(i)); };
  const auto shape = [](const fb::Tensor* t) { return std::vector<int32_t>(t->shape()->begin(), t->shape()->end()); };
  EXPECT_EQ(shape(tensor(g.inputs()->Get(0))), (std::vector<int32_t>{1, 8, 8, 1}));  // NHWC
  EXPECT_EQ(tensor(g.outputs()->Get(0))->name()->str(), "logits");
  EXPECT_EQ(shape(tensor(g.outputs()->Get(0))), (std::vector<int32_t>{1, 3}));

  const std::vector<fb::OpCode> expected = {fb::OpCode::Conv2D,  fb::OpCode::MaxPool2D,     fb::OpCode::DepthwiseConv2D,
                                            fb::OpCode::Add,     fb::OpCode::Conv2D,        fb::OpCode::AveragePool2D,
                                            fb::OpCode::Reshape, fb::OpCode::FullyConnected};
  ASSERT_EQ(g.operators()->size(), expected.size());
  const std::vector<std::vector<int32_t>> weight_shapes = {{4, 3, 3, 1}, {4, 3, 3, 1}, {8, 1, 1, 4}, {3, 1, 1, 32}};
  size_t weighted = 0;
  uint64_t high_bytes = 0;
  for (uint32_t i = 0; i < expected.size(); ++i) {
    const fb::Operator* op = g.operators()->Get(i);
    SCOPED_TRACE(op->name()->str());
    EXPECT_EQ(op->code(), expected[i]);
    if (op->weights() == nullptr) continue;
    const fb::NestedWeights& w = *op->weights();
    EXPECT_EQ(std::vector<int32_t>(w.shape()->begin(), w.shape()->end()), weight_shapes[weighted++]);
    EXPECT_EQ(w.high()->section(), 1u);
    EXPECT_EQ(w.low()->section(), 2u);
    EXPECT_EQ(w.high()->offset() % 64, 0u);
    EXPECT_EQ(w.low()->offset() % 64, 0u);
    high_bytes += w.high()->size();
    EXPECT_EQ(w.high_width(), 6);  // 8:6 nearest: 6-bit high parts, low parts in [-2, 3]
    EXPECT_EQ(w.low_width(), 3);
    EXPECT_EQ(w.high()->size(), format::packed_plane_bytes(format::weight_element_count(w), 6));
    const std::vector<int8_t> high = nestrt::testing::high_plane_values(*file, w);
    const std::vector<int8_t> low = nestrt::testing::low_plane_values(*file, w);
    const size_t per_channel = high.size() / static_cast<size_t>(w.shape()->Get(0));
    for (size_t c = 0; c < static_cast<size_t>(w.shape()->Get(0)); ++c) {
      int max_abs = 0;
      for (size_t k = c * per_channel; k < (c + 1) * per_channel; ++k) {
        const int q = high[k] * 4 + low[k];
        ASSERT_LE(std::abs(q), 127);
        max_abs = std::max(max_abs, std::abs(q));
      }
      EXPECT_EQ(max_abs, 127);  // symmetric per channel: the largest weight maps to 127
      EXPECT_GT(w.part()->weight_scale()->Get(static_cast<uint32_t>(c)), 0.0f);
      EXPECT_EQ(w.full()->weight_zero_point()->Get(static_cast<uint32_t>(c)), 0);
    }
  }
  EXPECT_EQ(high_bytes, report.high_bytes);

  // Fused Relu: the clamp starts at the output zero point. MaxPool keeps its input's quantisation.
  const fb::Operator* stem = g.operators()->Get(0);
  EXPECT_EQ(stem->output_min(), tensor(stem->outputs()->Get(0))->quant()->zero_point());
  const fb::Operator* pool = g.operators()->Get(1);
  EXPECT_EQ(tensor(pool->inputs()->Get(0))->quant()->scale(), tensor(pool->outputs()->Get(0))->quant()->scale());
  EXPECT_EQ(tensor(pool->inputs()->Get(0))->quant()->zero_point(),
            tensor(pool->outputs()->Get(0))->quant()->zero_point());
  EXPECT_EQ(g.operators()->Get(2)->options_as_Conv2DOptions()->groups(), 4);
  EXPECT_EQ(g.operators()->Get(2)->options_as_Conv2DOptions()->pad_top(), 1);
  const fb::Operator* avg = g.operators()->Get(5);
  EXPECT_EQ(avg->options_as_Pool2DOptions()->pad_bottom(), 1);
  EXPECT_EQ(avg->options_as_Pool2DOptions()->pad_top(), 0);
  EXPECT_EQ(avg->options_as_Pool2DOptions()->multiplier(),
            static_cast<float>(static_cast<double>(tensor(avg->inputs()->Get(0))->quant()->scale()) /
                               tensor(avg->outputs()->Get(0))->quant()->scale()));
}

TEST(Convert, Int8ExecutionFollowsTheFloatModel) {
  TempDir dir;
  const ConvertOptions options = tiny_options(dir);
  convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  Graph graph = import_onnx_file(options.input_path);
  normalise(graph);
  FloatExecutor reference(graph);
  testing::Int8Reference full(*file, false), part(*file, true);
  double full_error = 0.0, part_error = 0.0, magnitude = 0.0;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> x = random_floats(64, 500 + seed, 0.0f, 1.0f);
    const std::vector<float> f = reference.run(x), q = full.run(x), p = part.run(x);
    for (size_t i = 0; i < f.size(); ++i) {
      full_error = std::max(full_error, std::fabs(static_cast<double>(f[i]) - q[i]));
      part_error = std::max(part_error, std::fabs(static_cast<double>(f[i]) - p[i]));
      magnitude = std::max(magnitude, std::fabs(static_cast<double>(f[i])));
    }
  }
  EXPECT_LT(full_error, 0.03 * magnitude);
  EXPECT_LT(part_error, 0.1 * magnitude);
  EXPECT_GT(part_error, 0.0);  // part mode really runs on the 6-bit high parts
}

// Bit-plane nesting end to end: the file records the method, its planes are the floor split with
// l-bit low parts, full mode is the int8 model (the same file as truncate's but for the method and
// the part parameters), and part mode on 2 * high + 1 at the refitted s_c * 2^(l-1) follows the
// float model at least as well as truncate's does, at 8:6 and 8:4. Also with one layer kept out
// of nesting, whose part mode must then equal its full mode (no midpoint mapping).
TEST(Convert, BitplanePartModeFollowsTheFloatModelAtLeastAsWellAsTruncate) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  Graph graph = import_onnx_file(options.input_path);
  normalise(graph);
  FloatExecutor reference(graph);
  std::vector<std::vector<float>> inputs, floats;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    inputs.push_back(random_floats(64, 900 + seed, 0.0f, 1.0f));
    floats.push_back(reference.run(inputs.back()));
  }
  auto squared_error = [&](const format::ModelFile& file, bool part) {
    testing::Int8Reference int8(file, part);
    double e = 0.0;
    for (size_t s = 0; s < inputs.size(); ++s) {
      const std::vector<float> y = int8.run(inputs[s]);
      for (size_t i = 0; i < y.size(); ++i) e += std::pow(static_cast<double>(y[i]) - floats[s][i], 2);
    }
    return e;
  };
  for (int high : {6, 4}) {
    SCOPED_TRACE("8:" + std::to_string(high));
    const int l = 8 - high;
    options.nesting = {8, high, NestMethod::kTruncate};
    options.output_path = dir.file("truncate.nest");
    convert(options);
    options.nesting.method = NestMethod::kBitplane;
    options.output_path = dir.file("bitplane.nest");
    const ConversionReport report = convert(options);
    EXPECT_EQ(report.nesting.method, NestMethod::kBitplane);
    const auto truncate = format::ModelFile::open(dir.file("truncate.nest"));
    const auto bitplane = format::ModelFile::open(dir.file("bitplane.nest"));
    EXPECT_EQ(bitplane->model().nesting()->method(), fb::NestMethod::Bitplane);
    const auto& ops = *bitplane->model().graph()->operators();
    for (uint32_t i = 0; i < ops.size(); ++i) {
      const fb::NestedWeights* w = ops.Get(i)->weights();
      if (w == nullptr) continue;
      SCOPED_TRACE(ops.Get(i)->name()->str());
      const fb::NestedWeights* t = truncate->model().graph()->operators()->Get(i)->weights();
      const std::vector<int8_t> high_values = nestrt::testing::high_plane_values(*bitplane, *w);
      const std::vector<int8_t> low_values = nestrt::testing::low_plane_values(*bitplane, *w);
      EXPECT_EQ(high_values, nestrt::testing::high_plane_values(*truncate, *t));
      EXPECT_EQ(low_values, nestrt::testing::low_plane_values(*truncate, *t));
      EXPECT_LE(w->low_width(), l);  // unsigned l-bit low parts (the coding centres them)
      for (int8_t v : low_values) ASSERT_TRUE(v >= 0 && v < (1 << l));
      const size_t channels = static_cast<size_t>(w->shape()->Get(0)), per_channel = high_values.size() / channels;
      for (size_t c = 0; c < channels; ++c) {
        // The stored part scale is the least-squares fit of the int8 weights by s * (2 * high + 1).
        const double s_c = w->full()->weight_scale()->Get(static_cast<uint32_t>(c));
        double cross = 0.0, energy = 0.0;
        for (size_t k = c * per_channel; k < (c + 1) * per_channel; ++k) {
          const int q = high_values[k] * (1 << l) + low_values[k], m = 2 * high_values[k] + 1;
          cross += double(q) * m, energy += double(m) * m;
        }
        const double want = cross > 0 ? s_c * cross / energy : s_c * std::ldexp(1.0, l - 1);
        EXPECT_NEAR(w->part()->weight_scale()->Get(static_cast<uint32_t>(c)), want, 1e-6 * want) << "channel " << c;
        EXPECT_EQ(w->full()->weight_scale()->Get(static_cast<uint32_t>(c)),
                  t->full()->weight_scale()->Get(static_cast<uint32_t>(c)));
      }
    }
    EXPECT_EQ(squared_error(*bitplane, false), squared_error(*truncate, false)) << "full mode is the int8 model";
    const double bitplane_part = squared_error(*bitplane, true), truncate_part = squared_error(*truncate, true);
    std::printf("8:%d part-mode squared output error against float: bitplane %.4g, truncate %.4g\n", high,
                bitplane_part, truncate_part);
    EXPECT_LE(bitplane_part, truncate_part);
    EXPECT_GT(bitplane_part, squared_error(*bitplane, false)) << "part mode really runs on the high parts";
  }

  // One layer out of nesting in a bit-plane file: low_bits 0, its whole int8 weights in an 8-bit
  // high plane (which the loader accepts: no midpoint there), the same in both modes.
  options.nesting = {8, 6, NestMethod::kBitplane};
  options.output_path = dir.file("bitplane-nonest.nest");
  options.not_nested = {"stem_conv"};
  convert(options);
  const auto kept = format::ModelFile::open(options.output_path);
  const fb::NestedWeights* w = kept->model().graph()->operators()->Get(0)->weights();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->low_bits(), 0);
  EXPECT_EQ(w->high_width(), 8);
  for (uint32_t c = 0; c < w->full()->weight_scale()->size(); ++c) {
    EXPECT_EQ(w->part()->weight_scale()->Get(c), w->full()->weight_scale()->Get(c));
  }
  testing::Int8Reference full(*kept, false), part(*kept, true);
  double differs = 0.0;
  for (const auto& x : inputs) {
    const std::vector<float> f = full.run(x), p = part.run(x);
    for (size_t i = 0; i < f.size(); ++i) differs += std::fabs(f[i] - p[i]);
  }
  EXPECT_GT(differs, 0.0) << "the other layers are nested";
}

TEST(Convert, NestingMethodAndWidthReachTheFile) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  options.nesting = {6, 4, NestMethod::kSquant};
  const ConversionReport report = convert(options);
  EXPECT_EQ(report.nesting.method, NestMethod::kSquant);
  const auto file = format::ModelFile::open(options.output_path);
  const fb::Model& m = file->model();
  EXPECT_EQ(m.nesting()->total_bits(), 6);
  EXPECT_EQ(m.nesting()->high_bits(), 4);
  EXPECT_EQ(m.nesting()->method(), fb::NestMethod::SQuant);
  for (const fb::Operator* op : *m.graph()->operators()) {
    if (op->weights() == nullptr) continue;
    SCOPED_TRACE(op->name()->str());
    const std::vector<int8_t> high = nestrt::testing::high_plane_values(*file, *op->weights());
    const std::vector<int8_t> low = nestrt::testing::low_plane_values(*file, *op->weights());
    EXPECT_LE(op->weights()->high_width(), 4);
    EXPECT_LE(op->weights()->low_width(), 3);
    int max_abs = 0;
    for (size_t k = 0; k < high.size(); ++k) {
      const int h = high[k], l = low[k];
      EXPECT_GE(h, -8);
      EXPECT_LE(h, 7);
      EXPECT_GE(l, -4);  // squant: l + 1 = 3 bits, signed
      EXPECT_LT(l, 4);
      max_abs = std::max(max_abs, std::abs(h * 4 + l));
    }
    EXPECT_EQ(max_abs, 31);  // 6-bit weights
  }
}

TEST(Convert, GptqUsesCalibrationDataForEveryNestedLayer) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  options.nesting = {8, 5, NestMethod::kGptq};
  const ConversionReport report = convert(options);
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();  // no layer fell back to squant
  const std::string first = read_all(options.output_path);
  const auto file = format::ModelFile::open(options.output_path);
  EXPECT_EQ(file->model().nesting()->method(), fb::NestMethod::Gptq);
  for (const fb::Operator* op : *file->model().graph()->operators()) {
    if (op->weights() == nullptr) continue;
    SCOPED_TRACE(op->name()->str());
    const std::vector<int8_t> high = nestrt::testing::high_plane_values(*file, *op->weights());
    const std::vector<int8_t> low = nestrt::testing::low_plane_values(*file, *op->weights());
    for (size_t k = 0; k < high.size(); ++k) {
      ASSERT_GE(low[k], -8);  // floor or ceil of q / 8: l + 1 = 4 bits, signed
      ASSERT_LT(low[k], 8);
    }
  }
  convert(options);
  EXPECT_EQ(read_all(options.output_path), first) << "deterministic";
}

TEST(Convert, LowPlanesAreStoredInReleaseOrderCheapestFirst) {
  TempDir dir;
  const ConvertOptions options = tiny_options(dir);
  convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  std::vector<const fb::NestedWeights*> weighted;
  for (const fb::Operator* op : *file->model().graph()->operators()) {
    if (op->weights() != nullptr) weighted.push_back(op->weights());
  }
  ASSERT_EQ(weighted.size(), 4u);
  // The release order is the low planes' order in their section; the ranking key is the measured
  // output error per low-plane byte, so it must ascend along the section.
  std::sort(weighted.begin(), weighted.end(), [](const fb::NestedWeights* a, const fb::NestedWeights* b) {
    return a->low()->offset() < b->low()->offset();
  });
  for (size_t r = 0; r < weighted.size(); ++r) {
    const fb::NestedWeights& w = *weighted[r];
    EXPECT_EQ(w.low()->section(), 2u);
    EXPECT_GE(w.sensitivity(), 0.0f);
    EXPECT_GE(w.step_error(), 0.0f);
    EXPECT_GE(w.step_agreement(), 0.0f);
    EXPECT_LE(w.step_agreement(), 1.0f);
    if (r > 0) {
      const fb::NestedWeights& prev = *weighted[r - 1];
      EXPECT_LE(prev.sensitivity() / static_cast<float>(prev.low()->size()),
                w.sensitivity() / static_cast<float>(w.low()->size()));
    }
  }
  // Part mode changes the outputs, so the last step (every layer in part mode) has an error.
  EXPECT_GT(weighted.back()->step_error(), 0.0f);
  // Converting again gives the same bytes: the ranking is deterministic.
  const std::string first = read_all(options.output_path);
  convert(options);
  EXPECT_EQ(read_all(options.output_path), first);
}

// Every weighted layer reports its output SQNR in both modes: part mode (4 bits here) below full
// mode, both finite; a plain model's modes are the same model, so the same figures.
TEST(Convert, ReportHasOutputSqnrOfBothModes) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  options.nesting = {8, 4, NestMethod::kNearest};
  const ConversionReport nested = convert(options);
  size_t weighted = 0;
  for (const LayerReport& l : nested.layers) {
    if (l.weight_shape.empty()) continue;
    ++weighted;
    EXPECT_TRUE(std::isfinite(l.output_sqnr_full_db)) << l.name;
    EXPECT_GT(l.output_sqnr_full_db, 15.0) << l.name;
    EXPECT_LT(l.output_sqnr_part_db, l.output_sqnr_full_db - 3.0) << l.name;
  }
  EXPECT_GE(weighted, 3u);
  EXPECT_NE(to_json(nested).find("\"output_sqnr_part_db\": "), std::string::npos);
  EXPECT_NE(format_table(nested).find("output SQNR dB full/part"), std::string::npos);

  options.nest_none = true;
  options.output_path = dir.file("plain.nest");
  for (const LayerReport& l : convert(options).layers) {
    if (l.weight_shape.empty()) continue;
    EXPECT_EQ(l.output_sqnr_part_db, l.output_sqnr_full_db) << l.name;
  }
}

TEST(Convert, NoNestKeepsLayersExactInPartMode) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  convert(options);
  const auto nested = format::ModelFile::open(options.output_path);
  std::vector<std::string> weighted;
  for (const auto* op : *nested->model().graph()->operators()) {
    if (op->weights() != nullptr) weighted.push_back(op->name()->str());
  }
  ASSERT_GE(weighted.size(), 3u);
  testing::Int8Reference nested_full(*nested, false), nested_part(*nested, true);

  // One layer out: its high plane holds the int8 weights of the nested model's full mode.
  options.output_path = dir.file("one.nest");
  options.not_nested = {weighted[0]};
  convert(options);
  const auto one = format::ModelFile::open(options.output_path);
  const auto* kept = one->model().graph()->operators()->Get(0)->weights();
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->low_bits(), 0);
  EXPECT_EQ(one->model().graph()->operators()->Get(0)->name()->str(), weighted[0]);
  const std::vector<int8_t> high = nestrt::testing::high_plane_values(*one, *kept),
                            low = nestrt::testing::low_plane_values(*one, *kept);
  EXPECT_EQ(kept->low_width(), 0);  // an all-zero low plane takes no bytes
  EXPECT_EQ(kept->low()->size(), 0u);
  const auto* orig = nested->model().graph()->operators()->Get(0)->weights();
  const std::vector<int8_t> orig_high = nestrt::testing::high_plane_values(*nested, *orig);
  const std::vector<int8_t> orig_low = nestrt::testing::low_plane_values(*nested, *orig);
  const int l = 2;  // --nest 8:6
  for (size_t i = 0; i < high.size(); ++i) {
    ASSERT_EQ(high[i], orig_high[i] * (1 << l) + orig_low[i]) << i;
    ASSERT_EQ(low[i], 0) << i;
  }

  // Every layer out: part mode computes exactly what full mode does.
  options.output_path = dir.file("none.nest");
  options.not_nested = {weighted.begin(), weighted.end()};
  convert(options);
  const auto none = format::ModelFile::open(options.output_path);
  testing::Int8Reference full(*none, false), part(*none, true);
  const auto samples = random_floats(8 * 64, 7, 0.0f, 1.0f);
  bool nested_differs = false;
  for (size_t s = 0; s < 8; ++s) {
    const std::vector<float> x(samples.begin() + s * 64, samples.begin() + (s + 1) * 64);
    EXPECT_EQ(full.run(x), part.run(x)) << "sample " << s;
    EXPECT_EQ(full.run(x), nested_full.run(x)) << "full mode must not change";
    nested_differs |= nested_full.run(x) != nested_part.run(x);
  }
  EXPECT_TRUE(nested_differs) << "the nested model's modes should differ, or this test shows nothing";

  // --nest N (nest_none) is every layer out: the same file, byte for byte, and 8 bits per weight.
  const std::string none_bytes = read_all(options.output_path);
  options.not_nested = {};
  options.nest_none = true;
  options.output_path = dir.file("plain.nest");
  convert(options);
  EXPECT_EQ(read_all(options.output_path), none_bytes);
  for (const auto* op : *none->model().graph()->operators()) {
    if (op->weights() == nullptr) continue;
    EXPECT_EQ(op->weights()->high_width(), 8) << op->name()->str();
    EXPECT_EQ(op->weights()->low()->size(), 0u) << op->name()->str();
  }
  options.nest_none = false;

  options.not_nested = {"no_such_layer"};
  const std::string error = error_of<ConversionError>([&] { convert(options); });
  EXPECT_NE(error.find("--no-nest 'no_such_layer': no Conv or fully connected node has that name (they are: "),
            std::string::npos)
      << error;
}

TEST(Convert, UnsupportedOperatorLeavesNoFileAndKeepsAnExistingOne) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  testing::OnnxBuilder b;
  b.input("x", {1, 1, 8, 8});
  b.node("Erf", {"x"}, {"y"}, "erf_node");
  b.output("y", 4);
  b.save(dir.file("erf.onnx"));
  options.input_path = dir.file("erf.onnx");
  const std::string error = error_of<ConversionError>([&] { convert(options); });
  EXPECT_NE(error.find("unsupported operator 'Erf' (node 'erf_node', opset 13)"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(options.output_path));

  std::ofstream(options.output_path) << "precious";
  EXPECT_THROW(convert(options), ConversionError);
  EXPECT_EQ(read_all(options.output_path), "precious");
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(options.output_path).parent_path()))
    ++files;
  EXPECT_EQ(files, 5u);  // tiny.onnx, calib.npy, labels.txt, softmax.onnx, tiny.nest: no temporaries
}

TEST(Convert, LabelCountMustMatchTheOutput) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  std::ofstream(dir.file("two.txt")) << "a\nb\n";
  options.labels_path = dir.file("two.txt");
  const std::string error = error_of<ConversionError>([&] { convert(options); });
  EXPECT_NE(error.find("2 labels, but the model output has 3 values"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(options.output_path));
}

TEST(Convert, CalibrationDataMustFitTheInput) {
  TempDir dir;
  ConvertOptions options = tiny_options(dir);
  testing::write_npy(dir.file("wrong.npy"), {4, 1, 6, 6}, random_floats(144, 1));
  options.calibration_path = dir.file("wrong.npy");
  const std::string error = error_of([&] { convert(options); });
  EXPECT_NE(error.find("does not fit the model input [1,1,8,8]"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(options.output_path));
}

}  // namespace
}  // namespace nestrt::converter
