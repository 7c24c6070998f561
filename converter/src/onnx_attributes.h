// Typed access to an ONNX node's attributes with defaults; wrong types are ConversionErrors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
class AttributeProto;
}  // namespace onnx

namespace nestrt::converter {

class NodeAttributes {
 public:
  // where: message prefix naming the file and node.
  NodeAttributes(const onnx::NodeProto& node, std::string where) : node_(node), where_(std::move(where)) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }
  int64_t get_int(const std::string& name, int64_t fallback) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, const std::vector<int64_t>& fallback) const;
  // get_ints, required to have exactly `count` entries.
  std::vector<int64_t> get_ints(const std::string& name, const std::vector<int64_t>& fallback, size_t count) const;

 private:
  const onnx::AttributeProto* find(const std::string& name) const;
  const onnx::AttributeProto& expect(const std::string& name, int type, const char* type_name) const;

  const onnx::NodeProto& node_;
  std::string where_;
};

}  // namespace nestrt::converter
