// nestrt-convert: ONNX float model -> nested int8 .nest model. Exit codes: 0 success,
// 1 conversion error, 2 bad usage.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <fstream>

#include "nestrt/converter/convert.h"
#include "progress_bar.h"

namespace {

using nestrt::converter::ConvertOptions;
using nestrt::io::Preprocess;

// Parses "N:H" (nested) or "N" (a plain N-bit model) into the options; returns an error message or "".
std::string parse_nesting(const std::string& text, nestrt::converter::NestConfig& nesting, bool& nest_none) {
  int total = 0, high = 0;
  char extra = 0;
  const int fields = std::sscanf(text.c_str(), "%d:%d%c", &total, &high, &extra);
  nest_none = fields == 1 && text.find(':') == std::string::npos;
  if (nest_none) high = total - 1;  // unused: every layer keeps its N bits in the high plane
  if (fields != 2 && !nest_none) return "expected N:H, e.g. 8:6, or N for a plain N-bit model";
  if (total < 2 || total > 8) return "total bits must be between 2 and 8 (got " + std::to_string(total) + ")";
  if (high < 1 || high >= total) return "high bits must be between 1 and " + std::to_string(total - 1);
  nesting.total_bits = total;
  nesting.high_bits = high;
  return "";
}

// Parses "H,W" (or, when `single` names what one number means, "N": second = 0) into sizes of
// 1..2^16; returns an error message or "".
std::string parse_size(const std::string& text, const char* single, int& first, int& second) {
  int a = 0, b = 0, used = -1;
  const bool pair = text.find(',') != std::string::npos;
  const bool parsed = pair ? std::sscanf(text.c_str(), "%d,%d%n", &a, &b, &used) == 2
                           : std::sscanf(text.c_str(), "%d%n", &a, &used) == 1;
  if (!parsed || used != static_cast<int>(text.size()) || (!pair && single == nullptr)) {
    return std::string("expected H,W") + (single ? std::string(" or N (") + single + ")" : "") + ", got '" + text + "'";
  }
  const int max = nestrt::io::kMaxImageSide;
  if (a < 1 || a > max || (pair && (b < 1 || b > max))) {
    return "sizes must be between 1 and " + std::to_string(max) + ", got '" + text + "'";
  }
  first = a;
  second = pair ? b : 0;
  return "";
}

// A CLI11 check that the option parses as parse_size does (single: what a lone N means).
CLI::Validator size_validator(const char* single, const char* shape) {
  return CLI::Validator(
      [single](std::string& text) {
        int a = 0, b = 0;
        return parse_size(text, single, a, b);
      },
      shape);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Converts an ONNX float model into a nested int8 .nest model: every weight is split into a high part "
      "(served alone in part mode) and a low part (added in full mode, exact int8).",
      "nestrt-convert"};
  ConvertOptions options;
  std::string nest_text = "8:6", method_text = "nearest", range_text = "minmax", engine_text = "xnnpack", color,
              report_path, resize_text, crop_text, layout_text = "nchw";
  bool quiet = false;
  app.add_option("model", options.input_path, "ONNX float model (.onnx)")->required()->check(CLI::ExistingFile);
  app.add_option("-o,--output", options.output_path, "output .nest file (written atomically)")->required();
  app.add_option("--nest", nest_text,
                 "nesting TOTAL:HIGH bits: 8:6, 8:5, 8:4, 6:4 ... (weights are quantised to TOTAL bits); or "
                 "TOTAL alone for a plain model without nesting (--nest 8, --nest 6: the separate-width baselines)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) {
            nestrt::converter::NestConfig unused;
            bool plain = false;
            return parse_nesting(text, unused, plain);
          },
          "N:H"));
  app.add_option("--nest-method", method_text,
                 "how the high part rounds: nearest (half to even), squant (nearest with error-balancing flips per "
                 "kernel and channel), gptq (floor or ceil chosen to minimise each layer's part-mode output error on "
                 "the calibration samples; one more pass over them), truncate (floor, the naive baseline), bitplane "
                 "(floor with l-bit low planes, part mode at the bucket midpoints 2*high+1 at half the step)")
      ->capture_default_str()
      ->check(CLI::IsMember({"nearest", "squant", "gptq", "truncate", "bitplane"}));
  std::vector<std::string> not_nested;
  app.add_option("--no-nest", not_nested,
                 "keep this Conv/Gemm node (ONNX node name) at full precision in both modes: its weights stay whole "
                 "in the high plane; repeat for more layers")
      ->take_all();
  app.add_option("--input-shape", options.input_shape,
                 "fix the model input's dimensions, N,C,H,W (e.g. 1,3,48,192), for models whose height and width "
                 "are symbolic")
      ->delimiter(',')
      ->expected(4);
  app.add_option("--calib", options.calibration_path,
                 "calibration data: a directory of images, an image, an .npy array ([N,C,H,W] float, or uint8 pixels; "
                 "[N,H,W,C] with --layout nhwc) or an IDX images file (.gz or raw)")
      ->required();
  app.add_option("--calib-count", options.calibration_count, "use at most this many calibration samples")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--calib-method", range_text,
                 "activation ranges: minmax (observed min and max), percentile (drop the most extreme values, see "
                 "--percentile) or mse (minimise expected quantisation error); percentile and mse pass the samples "
                 "twice")
      ->capture_default_str()
      ->check(CLI::IsMember({"minmax", "percentile", "mse"}));
  app.add_option("--percentile", options.ranges.percentile,
                 "with --calib-method percentile: the share of values each range keeps, in percent")
      ->capture_default_str()
      ->check(CLI::Range(50.0, 100.0));
  app.add_option("--float-engine", engine_text,
                 "what runs the float model on the calibration samples: xnnpack (XNNPACK's f32 operators for "
                 "convolution, fully connected, add and pooling; the rest in the reference) or reference (plain "
                 "loops with double accumulation)")
      ->capture_default_str()
      ->check(CLI::IsMember({"xnnpack", "reference"}));
  app.add_option("--scale", options.scale, "pixel scale: x = (pixel * scale - mean[c]) / std[c]")
      ->capture_default_str();
  app.add_option("--mean", options.mean, "mean, one value or one per channel");
  app.add_option("--std", options.std, "standard deviation, one value or one per channel");
  app.add_option("--color", color, "channel order of the model input (default: gray for 1 channel, rgb for 3)")
      ->check(CLI::IsMember({"gray", "rgb", "bgr"}));
  app.add_option("--resize", resize_text,
                 "before the crop: N resizes so the shorter side is N, keeping the aspect ratio (torchvision "
                 "Resize(N): the longer side becomes floor(N * long / short)); H,W resizes to exactly H x W. "
                 "Bilinear, half-pixel centres, no antialiasing. Without --resize and --crop, images are resized "
                 "straight to the input's H x W. Stored in the model: nestrt run/eval apply it too")
      ->check(size_validator("shorter side", "N|H,W"));
  app.add_option("--crop", crop_text,
                 "after --resize: centre crop to H,W (N: N,N), which must be the model input's H x W; offsets as "
                 "torchvision CenterCrop, round((in - out) / 2) with halves to even. Typical ImageNet: --resize 256 "
                 "--crop 224,224. Stored in the model")
      ->check(size_validator("square", "H,W"));
  app.add_option("--layout", layout_text,
                 "axis order of an .npy --calib file: nchw ([N,C,H,W] or [C,H,W]) or nhwc ([N,H,W,C] or [H,W,C], "
                 "transposed to the model's NCHW); images are unaffected. Describes the data file, so it is not "
                 "stored: give nestrt run/eval --layout nhwc for such files too")
      ->capture_default_str()
      ->check(CLI::IsMember({"nchw", "nhwc"}));
  app.add_option("--labels", options.labels_path, "class labels, one per line, stored in the model")
      ->check(CLI::ExistingFile);
  app.add_option("--report", report_path, "also write the per-layer report as JSON");
  app.add_option("--fp32-outputs", options.fp32_outputs_path,
                 "also write the float model's outputs on the calibration samples as a float32 .npy "
                 "[samples, outputs] (the converter's FP32 path, e.g. to compare with ONNX Runtime)");
  app.add_flag("-q,--quiet", quiet, "print errors only");
  app.set_version_flag("--version", nestrt::converter::producer_string());
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "nestrt-convert: usage error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  parse_nesting(nest_text, options.nesting, options.nest_none);
  nestrt::converter::parse_nest_method(method_text, &options.nesting.method);
  nestrt::converter::parse_range_method(range_text, &options.ranges.method);
  nestrt::converter::parse_float_engine(engine_text, &options.ranges.engine);
  options.not_nested.insert(not_nested.begin(), not_nested.end());
  if (color == "gray") options.color = Preprocess::Color::Gray;
  if (color == "rgb") options.color = Preprocess::Color::RGB;
  if (color == "bgr") options.color = Preprocess::Color::BGR;
  if (!resize_text.empty()) {
    int a = 0, b = 0;
    parse_size(resize_text, "shorter side", a, b);
    if (b == 0) {
      options.resize_shorter = a;
    } else {
      options.resize_height = a;
      options.resize_width = b;
    }
  }
  if (!crop_text.empty()) {
    parse_size(crop_text, "square", options.crop_height, options.crop_width);
    if (options.crop_width == 0) options.crop_width = options.crop_height;
  }
  options.layout = nestrt::io::parse_npy_layout(layout_text);

  try {
    nestrt::converter::ProgressBar bar(stderr, "calibrating");
    nestrt::converter::ProgressFn progress;
    if (!quiet) progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
    const nestrt::converter::ConversionReport report = nestrt::converter::convert(options, progress);
    if (!quiet) {
      for (const std::string& note : report.notes) std::fprintf(stderr, "nestrt-convert: note: %s\n", note.c_str());
      std::fputs(nestrt::converter::format_table(report).c_str(), stdout);
    }
    if (!report_path.empty()) {
      std::ofstream out(report_path);
      out << nestrt::converter::to_json(report);
      out.close();
      if (!out) throw std::runtime_error(report_path + ": cannot write the report");
    }
    if (!quiet) std::printf("wrote %s\n", options.output_path.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "nestrt-convert: error: %s\n", e.what());
    return 1;
  }
}
