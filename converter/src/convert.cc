#include "nestrt/converter/convert.h"

#include <filesystem>
#include <fstream>

#include "nestrt/converter/emit.h"
#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/hessian.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/converter/output_sqnr.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/converter/sensitivity.h"
#include "nestrt/format/model_file.h"
#include "nestrt/io/npy.h"
#include "nestrt/io/sample_source.h"

#ifndef NESTRT_VERSION
#error "NESTRT_VERSION must be defined by the build"
#endif

namespace nestrt::converter {
namespace {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConversionError(path + ": cannot open the labels file");
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) throw ConversionError(path + ": the labels file is empty");
  return labels;
}

io::Preprocess make_preprocess(const ConvertOptions& options, const Shape& input_shape) {
  const int64_t channels = input_shape[1];
  io::Preprocess p;
  p.resize_shorter = options.resize_shorter;
  p.resize_height = options.resize_height;
  p.resize_width = options.resize_width;
  p.crop_height = options.crop_height;
  p.crop_width = options.crop_width;
  if (const std::string error = io::geometry_error(p, input_shape[2], input_shape[3]); !error.empty()) {
    throw ConversionError("--resize/--crop: " + error);
  }
  p.scale = options.scale;
  p.mean = options.mean;
  p.std = options.std;
  p.color = options.color.value_or(channels == 3 ? io::Preprocess::Color::RGB : io::Preprocess::Color::Gray);
  for (const auto* values : {&p.mean, &p.std}) {
    if (values->size() > 1 && static_cast<int64_t>(values->size()) != channels) {
      throw ConversionError("--mean/--std give " + std::to_string(values->size()) + " values; the model input has " +
                            std::to_string(channels) + " channels");
    }
  }
  for (float s : p.std) {
    if (s == 0.0f) throw ConversionError("--std must not contain 0");
  }
  return p;
}

}  // namespace

// Samples for the graded-switching ranking: it runs the float model about 2x per nested layer.
constexpr size_t kSensitivitySamples = 64;

namespace {

// The float model's outputs on the first `count` samples, [count, outputs], for comparisons with
// other runtimes (scripts/check-onnxruntime.sh).
void write_fp32_outputs(const Graph& graph, const io::SampleSource& samples, size_t count, FloatEngine engine,
                        const std::string& path) {
  FloatExecutor executor(graph, engine);
  io::FloatTensor outputs;
  outputs.shape = {static_cast<int64_t>(count), element_count(graph.value(graph.output).shape)};
  for (size_t i = 0; i < count; ++i) {
    const std::vector<float> y = executor.run(samples.get(i));
    outputs.data.insert(outputs.data.end(), y.begin(), y.end());
  }
  io::save_npy(path, outputs);
}

}  // namespace

std::string producer_string() {
  return std::string("nestrt-convert ") + NESTRT_VERSION;
}

ConversionReport convert(const ConvertOptions& options, const ProgressFn& progress) {
  const NestConfig& nesting = options.nesting;
  check_nest_config(nesting);
  Graph graph = import_onnx_file(options.input_path, options.input_shape);
  normalise(graph);
  const Shape& input_shape = graph.value(graph.input).shape;
  const io::Preprocess preprocess = make_preprocess(options, input_shape);

  std::vector<std::string> labels;
  if (!options.labels_path.empty()) {
    labels = read_labels(options.labels_path);
    const int64_t classes = element_count(graph.value(graph.output).shape);
    if (static_cast<int64_t>(labels.size()) != classes) {
      throw ConversionError(options.labels_path + ": " + std::to_string(labels.size()) +
                            " labels, but the model output has " + std::to_string(classes) + " values");
    }
  }

  const io::SampleSource samples(options.calibration_path,
                                 {input_shape[0], input_shape[1], input_shape[2], input_shape[3]}, preprocess,
                                 options.layout);
  const size_t count =
      std::min(options.calibration_count == 0 ? samples.size() : options.calibration_count, samples.size());
  if (!options.fp32_outputs_path.empty())
    write_fp32_outputs(graph, samples, count, options.ranges.engine, options.fp32_outputs_path);
  const std::vector<Range> ranges = calibrate(graph, samples, count, progress, options.ranges);
  std::set<std::string> not_nested = options.not_nested;
  if (options.nest_none) {
    for (const Node& node : graph.nodes) {
      if (node.op == OpKind::kConv || node.op == OpKind::kFullyConnected) not_nested.insert(node.name);
    }
  }
  LayerHessians hessians;
  if (nesting.method == NestMethod::kGptq) {
    // gptq needs each layer's input as the runtime quantises it: the activation quantisation of a
    // first, nearest-nested pass (nesting does not change it).
    const QuantisedModel first = quantise_graph(graph, ranges, {nesting.total_bits, nesting.high_bits}, not_nested);
    hessians = collect_hessians(graph, first, samples, count, progress);
  }
  QuantisedModel model = quantise_graph(graph, ranges, nesting, not_nested, &hessians);
  rank_by_sensitivity(graph, samples, std::min<size_t>(count, kSensitivitySamples), model);
  measure_output_sqnr(graph, samples, std::min<size_t>(count, kSensitivitySamples), model);

  ModelInfo info;
  info.preprocess = preprocess;
  info.labels = std::move(labels);
  info.producer = producer_string();
  info.source_model = std::filesystem::path(options.input_path).filename().string();
  info.source_xxh64 = graph.source_xxh64;
  info.calibration = options.calibration_path;
  info.calibration_samples = static_cast<uint32_t>(count);
  const EmittedModel emitted = emit_model(model, info);
  format::write_model_file(options.output_path, emitted.metadata, emitted.payloads);

  ConversionReport report = make_report(model);
  report.source_model = options.input_path;
  report.output_path = options.output_path;
  report.calibration = samples.description();
  report.calibration_samples = static_cast<uint32_t>(count);
  report.file_size = std::filesystem::file_size(options.output_path);
  return report;
}

}  // namespace nestrt::converter
