#include "nestrt/converter/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nestrt/format/plane_coding.h"

namespace nestrt::converter {
namespace {

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string db(double v, bool has_weights) {
  if (!has_weights) return "-";
  return std::isinf(v) ? "inf" : format("%.2f", v);
}

std::string pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// JSON has no infinity: exact reconstructions are reported as null.
std::string json_number(double v) {
  return std::isfinite(v) ? format("%.6g", v) : "null";
}

}  // namespace

ConversionReport make_report(const QuantisedModel& model) {
  ConversionReport report;
  report.nesting = model.nesting;
  report.notes = model.notes;
  for (const QuantOperator& op : model.operators) {
    LayerReport layer;
    layer.name = op.name;
    layer.op = fb::EnumNameOpCode(op.code);
    layer.source_op = op.source_op;
    const QuantTensor& out = model.tensors[static_cast<size_t>(op.outputs[0])];
    layer.output_scale = out.quant.scale;
    layer.output_zero_point = out.quant.zero_point;
    if (op.weights) {
      const NestedLayerWeights& w = *op.weights;
      layer.weight_shape = "[";
      for (size_t i = 0; i < w.shape.size(); ++i) layer.weight_shape += (i ? "," : "") + std::to_string(w.shape[i]);
      layer.weight_shape += "]";
      if (!w.nested) layer.op += " (no-nest)";
      layer.sqnr_full_db = w.sqnr_full_db;
      layer.sqnr_part_db = w.sqnr_part_db;
      layer.output_sqnr_full_db = w.output_sqnr_full_db;
      layer.output_sqnr_part_db = w.output_sqnr_part_db;
      // The coding emit_model writes (the narrowest one for each plane).
      layer.high_width = format::narrowest_plane_coding(w.high).width;
      layer.low_width = format::narrowest_plane_coding(w.low).width;
      layer.high_bytes = format::packed_plane_bytes(w.high.size(), layer.high_width);
      layer.low_bytes = format::packed_plane_bytes(w.low.size(), layer.low_width);
      report.high_bytes += layer.high_bytes;
      report.low_bytes += layer.low_bytes;
    }
    report.layers.push_back(std::move(layer));
  }
  return report;
}

std::string format_table(const ConversionReport& report) {
  const std::vector<std::string> header = {
      "layer",    "op",     "weights (OHWI)", "weight SQNR dB full/part", "output SQNR dB full/part",
      "bits h+l", "high B", "low B"};
  std::vector<std::vector<std::string>> rows;
  for (const LayerReport& l : report.layers) {
    const bool w = !l.weight_shape.empty();
    rows.push_back({l.name, l.op, w ? l.weight_shape : "-",
                    w ? db(l.sqnr_full_db, w) + " / " + db(l.sqnr_part_db, w) : "-",
                    w ? db(l.output_sqnr_full_db, w) + " / " + db(l.output_sqnr_part_db, w) : "-",
                    w ? std::to_string(l.high_width) + "+" + std::to_string(l.low_width) : "-",
                    w ? std::to_string(l.high_bytes) : "-", w ? std::to_string(l.low_bytes) : "-"});
  }
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) s += (c ? "  " : "") + pad(cells[c], widths[c], c >= 3);
    return s + "\n";
  };
  std::string out = line(header);
  for (const auto& row : rows) out += line(row);
  const uint32_t h = static_cast<uint32_t>(report.nesting.high_bits),
                 n = static_cast<uint32_t>(report.nesting.total_bits);
  const bool any_nested = std::any_of(report.layers.begin(), report.layers.end(), [](const LayerReport& l) {
    return !l.weight_shape.empty() && l.op.find("(no-nest)") == std::string::npos;
  });
  if (any_nested) {
    out += "nesting " + std::to_string(n) + ":" + std::to_string(h) + " " + nest_method_name(report.nesting.method) +
           " (high " + std::to_string(h) + " bits, low " + std::to_string(n - h) + " bits)";
  } else {
    out += "no layer nested: a plain " + std::to_string(n) + "-bit model";
  }
  out += ", calibrated on " + std::to_string(report.calibration_samples) + " samples\n";
  out += "total: file " + std::to_string(report.file_size) + " bytes, high planes " +
         std::to_string(report.high_bytes) + " bytes, low planes " + std::to_string(report.low_bytes) + " bytes\n";
  return out;
}

std::string to_json(const ConversionReport& report) {
  std::string s = "{\n";
  s += "  \"source_model\": " + json_string(report.source_model) + ",\n";
  s += "  \"output\": " + json_string(report.output_path) + ",\n";
  s += "  \"nesting\": {\"total_bits\": " + std::to_string(report.nesting.total_bits) +
       ", \"high_bits\": " + std::to_string(report.nesting.high_bits) + ", \"method\": \"" +
       nest_method_name(report.nesting.method) + "\"},\n";
  s += "  \"calibration\": " + json_string(report.calibration) + ",\n";
  s += "  \"calibration_samples\": " + std::to_string(report.calibration_samples) + ",\n";
  s += "  \"file_size\": " + std::to_string(report.file_size) + ",\n";
  s += "  \"high_bytes\": " + std::to_string(report.high_bytes) + ",\n";
  s += "  \"low_bytes\": " + std::to_string(report.low_bytes) + ",\n";
  s += "  \"layers\": [";
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerReport& l = report.layers[i];
    const bool w = !l.weight_shape.empty();
    s += std::string(i ? "," : "") + "\n    {\"name\": " + json_string(l.name) + ", \"op\": " + json_string(l.op) +
         ", \"source_op\": " + json_string(l.source_op) + ", \"weight_shape\": " + (w ? l.weight_shape : "null") +
         ", \"sqnr_full_db\": " + (w ? json_number(l.sqnr_full_db) : "null") +
         ", \"sqnr_part_db\": " + (w ? json_number(l.sqnr_part_db) : "null") +
         ", \"output_sqnr_full_db\": " + (w ? json_number(l.output_sqnr_full_db) : "null") +
         ", \"output_sqnr_part_db\": " + (w ? json_number(l.output_sqnr_part_db) : "null") +
         ", \"high_bytes\": " + std::to_string(l.high_bytes) + ", \"low_bytes\": " + std::to_string(l.low_bytes) +
         ", \"high_width\": " + std::to_string(l.high_width) + ", \"low_width\": " + std::to_string(l.low_width) +
         ", \"output_scale\": " + json_number(l.output_scale) +
         ", \"output_zero_point\": " + std::to_string(l.output_zero_point) + "}";
  }
  s += "\n  ]\n}\n";
  return s;
}

}  // namespace nestrt::converter
