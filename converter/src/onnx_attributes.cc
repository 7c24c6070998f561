#include "onnx_attributes.h"

#include <onnx/onnx_pb.h>

#include "nestrt/converter/error.h"

namespace nestrt::converter {

const onnx::AttributeProto* NodeAttributes::find(const std::string& name) const {
  for (const auto& attr : node_.attribute()) {
    if (attr.name() == name) return &attr;
  }
  return nullptr;
}

const onnx::AttributeProto& NodeAttributes::expect(const std::string& name, int type, const char* type_name) const {
  const onnx::AttributeProto* attr = find(name);
  if (attr->type() != type) {
    throw ConversionError(where_ + ": attribute '" + name + "' should be of type " + type_name);
  }
  return *attr;
}

int64_t NodeAttributes::get_int(const std::string& name, int64_t fallback) const {
  return has(name) ? expect(name, onnx::AttributeProto::INT, "INT").i() : fallback;
}

float NodeAttributes::get_float(const std::string& name, float fallback) const {
  return has(name) ? expect(name, onnx::AttributeProto::FLOAT, "FLOAT").f() : fallback;
}

std::string NodeAttributes::get_string(const std::string& name, const std::string& fallback) const {
  return has(name) ? expect(name, onnx::AttributeProto::STRING, "STRING").s() : fallback;
}

std::vector<int64_t> NodeAttributes::get_ints(const std::string& name, const std::vector<int64_t>& fallback) const {
  if (!has(name)) return fallback;
  const auto& ints = expect(name, onnx::AttributeProto::INTS, "INTS").ints();
  return {ints.begin(), ints.end()};
}

std::vector<int64_t> NodeAttributes::get_ints(const std::string& name, const std::vector<int64_t>& fallback,
                                              size_t count) const {
  std::vector<int64_t> values = get_ints(name, fallback);
  if (values.size() != count) {
    throw ConversionError(where_ + ": attribute '" + name + "' has " + std::to_string(values.size()) +
                          " values, expected " + std::to_string(count) + " (only 2-D spatial operators are supported)");
  }
  return values;
}

}  // namespace nestrt::converter
