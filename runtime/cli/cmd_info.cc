// nestrt info: what a model file holds — header, sections and their checksums, nesting, graph.
#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

#include "commands.h"
#include "model_handle.h"
#include "nestrt/format/model_file.h"
#include "text_format.h"

namespace nestrt::cli {
namespace {

struct InfoOptions {
  std::string model;
  bool layers = false;
  bool resident = false;
  bool levels = false;
  std::string mode = "full";
};

void print_sections(const format::ModelFile& file) {
  std::printf("sections (aligned to %s):\n", short_bytes(format::kSectionAlignment).c_str());
  std::printf("  %-2s  %-12s %-5s %12s %14s  %-16s  %s\n", "#", "kind", "level", "offset", "size", "xxh64", "checksum");
  for (uint32_t i = 0; i < file.sections().size(); ++i) {
    const auto& s = file.sections()[i];
    std::printf("  %-2u  %-12s %-5u %12" PRIu64 " %14s  %016" PRIx64 "  %s\n", i, format::section_kind_name(s.kind),
                s.level, s.offset, short_bytes(s.size).c_str(), s.checksum, file.verify_section(i) ? "ok" : "MISMATCH");
  }
}

void print_graph(const format::ModelFile& file, bool layers) {
  const auto& graph = *file.model().graph();
  std::map<std::string, int> counts;
  for (const auto* op : *graph.operators()) counts[fb::EnumNameOpCode(op->code())]++;
  std::printf("graph: %u tensors, %u operators (", graph.tensors()->size(), graph.operators()->size());
  const char* sep = "";
  for (const auto& [name, n] : counts) std::printf("%s%s x%d", sep, name.c_str(), n), sep = ", ";
  std::printf(")\n");
  if (!layers) return;
  std::printf("  %-3s %-18s %-28s %-18s %10s %10s\n", "#", "op", "name", "weights", "high", "low");
  for (uint32_t i = 0; i < graph.operators()->size(); ++i) {
    const auto* op = graph.operators()->Get(i);
    std::string shape = "-", high = "-", low = "-";
    if (const auto* w = op->weights()) {
      std::vector<int64_t> dims(w->shape()->begin(), w->shape()->end());
      shape = shape_string(dims);
      high = short_bytes(w->high()->size());
      low = short_bytes(w->low()->size());
    }
    std::printf("  %-3u %-18s %-28s %-18s %10s %10s\n", i, fb::EnumNameOpCode(op->code()),
                op->name() ? op->name()->c_str() : "", shape.c_str(), high.c_str(), low.c_str());
  }
}

// The stored preprocessing: the per-pixel formula, colour order and image geometry.
void print_preprocess(const fb::Preprocess* p) {
  if (p == nullptr) {
    std::printf("preprocess: none stored (scale 1/255, mean 0, std 1, gray; resize to the input size)\n");
    return;
  }
  const auto values = [](const flatbuffers::Vector<float>* v, const char* fallback) {
    if (v == nullptr || v->size() == 0) return std::string(fallback);
    std::string s;
    for (float x : *v) {
      char text[32];
      std::snprintf(text, sizeof text, "%s%g", s.empty() ? "" : ",", static_cast<double>(x));
      s += text;
    }
    return s;
  };
  std::string geometry;
  const auto size = [](int32_t h, int32_t w) { return std::to_string(h) + "x" + std::to_string(w); };
  if (p->resize_shorter() > 0) geometry = "resize shorter side to " + std::to_string(p->resize_shorter());
  if (p->resize_height() > 0) geometry = "resize to " + size(p->resize_height(), p->resize_width());
  if (p->crop_height() > 0) {
    geometry += (geometry.empty() ? "" : ", ") + std::string("centre crop ") + size(p->crop_height(), p->crop_width());
  }
  if (geometry.empty()) geometry = "resize to the input size";
  std::string color = fb::EnumNameColorOrder(p->color());
  std::transform(color.begin(), color.end(), color.begin(), [](unsigned char c) { return std::tolower(c); });
  std::printf("preprocess: x = (pixel * %g - mean) / std, mean %s, std %s, colour %s; %s\n",
              static_cast<double>(p->scale()), values(p->mean(), "0").c_str(), values(p->std(), "1").c_str(),
              color.c_str(), geometry.c_str());
}

void print_resident(const InfoOptions& o) {
  ModelHandle model(o.model, parse_mode(o.mode));
  const auto s = model.stats();
  std::printf("resident after loading in %s mode (this process / page cache):\n", mode_name(s.mode));
  std::printf("  high planes %s / %s of %s\n", short_bytes(s.high_resident_bytes).c_str(),
              short_bytes(s.high_cached_bytes).c_str(), short_bytes(s.high_bytes).c_str());
  std::printf("  low planes  %s / %s of %s\n", short_bytes(s.low_resident_bytes).c_str(),
              short_bytes(s.low_cached_bytes).c_str(), short_bytes(s.low_bytes).c_str());
  // A fresh load has not switched yet; bench-switch prints the histogram of real switch storms.
  std::printf("switches in this process: %llu; latency histogram: %s\n",
              static_cast<unsigned long long>(s.switch_count), switch_histogram_string(s.switch_histogram).c_str());
}

// The steps of graded switching: what each level keeps resident and what it is estimated to cost.
void print_levels(const InfoOptions& o) {
  ModelHandle model(o.model, NESTRT_MODE_FULL);
  const uint32_t count = nestrt_model_level_count(model.get());
  std::printf(
      "graded switching levels (nestrt_switch_level / nestrt_switch_budget; estimates from the converter's\n"
      "calibration samples: output error relative to full mode, top-1 agreement with full mode):\n");
  std::printf("  %-5s %12s %8s %12s %10s  %s\n", "level", "weights", "of full", "est. error", "agreement",
              "layer added to part mode");
  nestrt_level_info full_info;
  check(nestrt_model_level_info(model.get(), 0, &full_info));
  for (uint32_t level = 0; level <= count; ++level) {
    nestrt_level_info info;
    check(nestrt_model_level_info(model.get(), level, &info));
    std::printf("  %-5u %12s %7.1f%% %12.2e %9.2f%%  %s\n", level, short_bytes(info.weight_bytes).c_str(),
                100.0 * static_cast<double>(info.weight_bytes) / static_cast<double>(full_info.weight_bytes),
                static_cast<double>(info.estimated_error), 100.0 * static_cast<double>(info.estimated_agreement),
                info.layer ? info.layer : "(full mode)");
  }
}

int info(const InfoOptions& o) {
  format::OpenOptions open_options;
  open_options.verify_checksums = false;  // reported per section below instead of failing at the first
  const auto file = format::ModelFile::open(o.model, open_options);
  const auto& m = file->model();
  std::printf("file: %s, %s, format version %u\n", o.model.c_str(), human_bytes(file->file_size()).c_str(),
              file->version());
  const auto& n = *m.nesting();
  const bool any_nested =
      std::any_of(m.graph()->operators()->begin(), m.graph()->operators()->end(),
                  [](const fb::Operator* op) { return op->weights() && op->weights()->low_bits() != 0; });
  if (any_nested) {
    std::printf("nesting: %u:%u (%s): full mode = high*2^%u + low, part mode = high\n", n.total_bits(), n.high_bits(),
                fb::EnumNameNestMethod(n.method()), n.total_bits() - n.high_bits());
  } else {
    std::printf("nesting: none, a plain %u-bit model (full and part mode compute the same)\n", n.total_bits());
  }
  if (const auto* p = m.provenance()) {
    std::printf("producer: %s, source %s (xxh64 %016" PRIx64 ")\n", p->producer() ? p->producer()->c_str() : "?",
                p->source_model() ? p->source_model()->c_str() : "?", p->source_xxh64());
    std::printf("calibration: %s, %u samples\n", p->calibration() ? p->calibration()->c_str() : "?",
                p->calibration_samples());
  }
  if (m.input_shape_nchw()) {
    std::vector<int64_t> dims(m.input_shape_nchw()->begin(), m.input_shape_nchw()->end());
    std::printf("input: %s float (NCHW)\n", shape_string(dims).c_str());
  }
  print_preprocess(m.preprocess());
  std::printf("labels: %u\n", m.labels() ? m.labels()->size() : 0u);
  print_graph(*file, o.layers);
  print_sections(*file);
  uint64_t high = 0, low = 0;
  for (const auto& s : file->sections()) {
    if (s.kind == format::SectionKind::kHighPlanes) high += s.size;
    if (s.kind == format::SectionKind::kLowPlanes) low += s.size;
  }
  std::printf("weights: full mode %s (high + low), part mode %s (high only, %.1f%% of full)\n",
              short_bytes(high + low).c_str(), short_bytes(high).c_str(),
              high + low ? 100.0 * static_cast<double>(high) / static_cast<double>(high + low) : 0.0);
  uint64_t weights = 0;
  for (const fb::Operator* op : *m.graph()->operators()) {
    if (op->weights() == nullptr) continue;
    weights += format::weight_element_count(*op->weights());
  }
  if (weights > 0) {  // plane bytes per weight, padding included
    const double per = 8.0 / static_cast<double>(weights);
    std::printf("storage: %llu weights at %.2f bits each (high planes %.2f, low planes %.2f)\n",
                static_cast<unsigned long long>(weights), per * static_cast<double>(high + low),
                per * static_cast<double>(high), per * static_cast<double>(low));
  }
  if (o.levels) print_levels(o);
  if (o.resident) print_resident(o);
  return 0;
}

}  // namespace

namespace {
Command add_info_command(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand("info", "Describe a model file: nesting, graph, sections, checksums");
  cmd->add_option("model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--layers", options->layers, "List every operator with its weight shape and plane sizes");
  cmd->add_flag("--resident", options->resident, "Load the model and report resident bytes per section");
  cmd->add_flag("--levels", options->levels,
                "List the graded-switching levels: resident weight bytes and estimated accuracy cost of each");
  cmd->add_option("--mode", options->mode, "Mode to load in for --resident")
      ->check(CLI::IsMember({"full", "part"}))
      ->capture_default_str();
  return [cmd, options] { return cmd->parsed() ? info(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(10, add_info_command);

}  // namespace nestrt::cli
