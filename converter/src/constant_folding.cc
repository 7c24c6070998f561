#include "constant_folding.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>

#include "nestrt/converter/error.h"
#include "onnx_attributes.h"

namespace nestrt::converter {
namespace {

[[noreturn]] void fail(const FoldingContext& c, const std::string& message) {
  throw ConversionError(c.where + ": " + message);
}

ConstantTensor make_ints(Shape dims, std::vector<int64_t> ints) {
  ConstantTensor t;
  t.dims = std::move(dims);
  t.integral = true;
  t.floats.assign(ints.begin(), ints.end());
  t.ints = std::move(ints);
  return t;
}

ConstantTensor make_floats(Shape dims, std::vector<float> floats) {
  ConstantTensor t;
  t.dims = std::move(dims);
  t.floats = std::move(floats);
  return t;
}

// A constant's values as int64 (integral constants exactly, float ones truncated like Cast).
std::vector<int64_t> as_ints(const ConstantTensor& t, const FoldingContext& c) {
  if (t.integral) return t.ints;
  std::vector<int64_t> ints;
  for (float f : t.floats) {
    if (!(std::fabs(f) < 9.2e18f)) fail(c, "cannot convert " + std::to_string(f) + " to an integer");
    ints.push_back(static_cast<int64_t>(f));
  }
  return ints;
}

// Normalises an axis of a rank-`rank` tensor, or fails.
int64_t axis_in(int64_t axis, int64_t rank, const FoldingContext& c) {
  if (axis < -rank || axis >= rank)
    fail(c, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

void require_vector(const ConstantTensor& t, const char* role, const FoldingContext& c) {
  if (t.dims.size() > 1) {
    fail(c, std::string("folding is supported for 1-D (shape) constants only; the ") + role + " has shape " +
                shape_string(t.dims));
  }
}

ConstantTensor fold_shape(const onnx::NodeProto& node, const Shape& shape, const FoldingContext& c) {
  const NodeAttributes attrs(node, c.where);
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t start = attrs.get_int("start", 0), end = attrs.get_int("end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
  std::vector<int64_t> dims(shape.begin() + start, shape.begin() + std::max(start, end));
  return make_ints({static_cast<int64_t>(dims.size())}, dims);
}

ConstantTensor fold_cast(const onnx::NodeProto& node, const ConstantTensor& x, const FoldingContext& c) {
  const int64_t to = NodeAttributes(node, c.where).get_int("to", 0);
  static const std::set<int64_t> kIntegral = {
      onnx::TensorProto::INT8,  onnx::TensorProto::INT16,  onnx::TensorProto::INT32,  onnx::TensorProto::INT64,
      onnx::TensorProto::UINT8, onnx::TensorProto::UINT16, onnx::TensorProto::UINT32, onnx::TensorProto::UINT64};
  static const std::set<int64_t> kFloat = {onnx::TensorProto::FLOAT, onnx::TensorProto::DOUBLE,
                                           onnx::TensorProto::FLOAT16};
  if (kIntegral.count(to) != 0) return make_ints(x.dims, as_ints(x, c));
  if (kFloat.count(to) != 0) return make_floats(x.dims, x.floats);
  fail(c, "Cast to element type " + std::to_string(to) + " is not supported when folding constants");
}

ConstantTensor fold_slice(const onnx::NodeProto& node, const ConstantTensor& x, const FoldingContext& c,
                          const std::vector<const ConstantTensor*>& inputs) {
  require_vector(x, "data", c);
  std::vector<int64_t> starts, ends, axes = {0}, steps = {1};
  if (c.opset < 10) {
    const NodeAttributes attrs(node, c.where);
    starts = attrs.get_ints("starts", {});
    ends = attrs.get_ints("ends", {});
    axes = attrs.get_ints("axes", {0});
  } else {
    if (inputs.size() < 3) fail(c, "Slice needs starts and ends inputs");
    starts = as_ints(*inputs[1], c);
    ends = as_ints(*inputs[2], c);
    if (inputs.size() > 3 && inputs[3] != nullptr) axes = as_ints(*inputs[3], c);
    if (inputs.size() > 4 && inputs[4] != nullptr) steps = as_ints(*inputs[4], c);
  }
  if (starts.size() != 1 || ends.size() != 1 || axes.size() != 1 || steps.size() != 1 || steps[0] == 0) {
    fail(c, "Slice of a 1-D constant needs one start, end, axis and non-zero step");
  }
  axis_in(axes[0], 1, c);
  const int64_t n = static_cast<int64_t>(x.floats.size()), step = steps[0];
  const auto clamp_index = [&](int64_t i, int64_t lo, int64_t hi) { return std::clamp(i < 0 ? i + n : i, lo, hi); };
  const int64_t begin = step > 0 ? clamp_index(starts[0], 0, n) : clamp_index(starts[0], -1, n - 1);
  const int64_t end = step > 0 ? clamp_index(ends[0], 0, n) : clamp_index(ends[0], -1, n - 1);
  // The element count first: stepping an index by a huge step could overflow.
  const int64_t span = step > 0 ? end - begin : begin - end, stride = step > 0 ? step : -step;
  const int64_t taken = span <= 0 ? 0 : (span - 1) / stride + 1;
  std::vector<size_t> picked;
  for (int64_t j = 0; j < taken; ++j) picked.push_back(static_cast<size_t>(begin + (step > 0 ? j : -j) * stride));
  ConstantTensor out;
  out.dims = {static_cast<int64_t>(picked.size())};
  out.integral = x.integral;
  for (size_t i : picked) {
    out.floats.push_back(x.floats[i]);
    if (x.integral) out.ints.push_back(x.ints[i]);
  }
  return out;
}

ConstantTensor fold_concat(const std::vector<const ConstantTensor*>& inputs, const FoldingContext& c) {
  ConstantTensor out;
  out.integral = std::all_of(inputs.begin(), inputs.end(), [](const ConstantTensor* t) { return t->integral; });
  for (const ConstantTensor* t : inputs) {
    require_vector(*t, "input", c);
    out.floats.insert(out.floats.end(), t->floats.begin(), t->floats.end());
    if (out.integral) out.ints.insert(out.ints.end(), t->ints.begin(), t->ints.end());
  }
  out.dims = {static_cast<int64_t>(out.floats.size())};
  return out;
}

ConstantTensor fold_gather(const onnx::NodeProto& node, const ConstantTensor& x, const ConstantTensor& indices,
                           const FoldingContext& c) {
  require_vector(x, "data", c);
  require_vector(indices, "indices", c);
  axis_in(NodeAttributes(node, c.where).get_int("axis", 0), 1, c);
  const int64_t n = static_cast<int64_t>(x.floats.size());
  ConstantTensor out;
  out.dims = indices.dims;  // a scalar index gives a scalar
  out.integral = x.integral;
  for (int64_t i : as_ints(indices, c)) {
    if (i < -n || i >= n) fail(c, "Gather index " + std::to_string(i) + " is out of range for " + std::to_string(n));
    const size_t at = static_cast<size_t>(i < 0 ? i + n : i);
    out.floats.push_back(x.floats[at]);
    if (x.integral) out.ints.push_back(x.ints[at]);
  }
  return out;
}

// Unsqueeze and Squeeze only change the dimensions.
ConstantTensor fold_squeeze(const onnx::NodeProto& node, const ConstantTensor& x, const FoldingContext& c,
                            const std::vector<const ConstantTensor*>& inputs, bool unsqueeze) {
  std::vector<int64_t> axes;
  if (c.opset < 13) {
    axes = NodeAttributes(node, c.where).get_ints("axes", {});
  } else if (inputs.size() > 1 && inputs[1] != nullptr) {
    axes = as_ints(*inputs[1], c);
  }
  ConstantTensor out = x;
  if (unsqueeze) {
    const int64_t rank = static_cast<int64_t>(x.dims.size() + axes.size());
    std::set<int64_t> at;
    for (int64_t a : axes) at.insert(axis_in(a, rank, c));
    if (at.size() != axes.size()) fail(c, "Unsqueeze axes repeat an axis");
    out.dims.clear();
    for (int64_t i = 0, j = 0; i < rank; ++i) out.dims.push_back(at.count(i) ? 1 : x.dims[static_cast<size_t>(j++)]);
    return out;
  }
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  std::set<int64_t> at;
  for (int64_t a : axes) at.insert(axis_in(a, rank, c));
  out.dims.clear();
  for (int64_t i = 0; i < rank; ++i) {
    const bool drop = axes.empty() ? x.dims[static_cast<size_t>(i)] == 1 : at.count(i) != 0;
    if (drop && x.dims[static_cast<size_t>(i)] != 1) fail(c, "Squeeze of a dimension that is not 1");
    if (!drop) out.dims.push_back(x.dims[static_cast<size_t>(i)]);
  }
  return out;
}

// Any rank: out[j] = x[i] where out's index along axis a is x's index along perm[a].
ConstantTensor fold_transpose(const onnx::NodeProto& node, const ConstantTensor& x, const FoldingContext& c) {
  const size_t rank = x.dims.size();
  std::vector<int64_t> reversed;
  for (size_t i = rank; i-- > 0;) reversed.push_back(static_cast<int64_t>(i));
  const std::vector<int64_t> perm = NodeAttributes(node, c.where).get_ints("perm", reversed);
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (perm.size() != rank || p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) {
      fail(c, "perm is not a permutation of the " + std::to_string(rank) + " axes of the constant " +
                  shape_string(x.dims));
    }
    seen[static_cast<size_t>(p)] = true;
  }
  ConstantTensor out;
  out.integral = x.integral;
  for (int64_t p : perm) out.dims.push_back(x.dims[static_cast<size_t>(p)]);
  // Strides of x in out's axis order; walk out's elements in order with an odometer.
  std::vector<size_t> stride(rank, 1), x_stride(rank, 1);
  for (size_t a = rank; a-- > 1;) x_stride[a - 1] = x_stride[a] * static_cast<size_t>(x.dims[a]);
  for (size_t a = 0; a < rank; ++a) stride[a] = x_stride[static_cast<size_t>(perm[a])];
  const size_t count = x.floats.size();
  std::vector<size_t> index(rank, 0);
  size_t from = 0;
  for (size_t n = 0; n < count; ++n) {
    out.floats.push_back(x.floats[from]);
    if (x.integral) out.ints.push_back(x.ints[from]);
    for (size_t a = rank; a-- > 0;) {
      from += stride[a];
      if (++index[a] < static_cast<size_t>(out.dims[a])) break;
      from -= stride[a] * index[a];
      index[a] = 0;
    }
  }
  return out;
}

ConstantTensor fold_arithmetic(const std::string& op, const ConstantTensor& a, const ConstantTensor& b,
                               const FoldingContext& c) {
  const size_t na = a.floats.size(), nb = b.floats.size();
  if (na != nb && na != 1 && nb != 1) {
    fail(c, "folding " + op + " of constants of shapes " + shape_string(a.dims) + " and " + shape_string(b.dims) +
                " needs broadcasting beyond scalars, which is not supported");
  }
  const size_t n = std::max(na, nb);
  ConstantTensor out;
  out.dims = na >= nb ? a.dims : b.dims;
  out.integral = a.integral && b.integral;
  for (size_t i = 0; i < n; ++i) {
    const size_t ia = na == 1 ? 0 : i, ib = nb == 1 ? 0 : i;
    if (out.integral) {
      const int64_t x = a.ints[ia], y = b.ints[ib];
      if (op == "Div" && (y == 0 || (x == INT64_MIN && y == -1))) fail(c, "integer division overflows while folding");
      int64_t r = 0;
      const bool overflow = op == "Add"   ? __builtin_add_overflow(x, y, &r)
                            : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                            : op == "Mul" ? __builtin_mul_overflow(x, y, &r)
                                          : (r = x / y, false);
      if (overflow) fail(c, op + " of integer constants overflows int64");
      out.ints.push_back(r);
      out.floats.push_back(static_cast<float>(r));
    } else {
      const float x = a.floats[ia], y = b.floats[ib];
      out.floats.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
    }
  }
  return out;
}

}  // namespace

bool is_foldable_op(const std::string& op_type) {
  static const std::set<std::string> kOps = {"Shape",   "Cast", "Slice", "Concat", "Gather", "Unsqueeze",
                                             "Squeeze", "Add",  "Sub",   "Mul",    "Div",    "Transpose"};
  return kOps.count(op_type) != 0;
}

std::optional<ConstantTensor> fold_constant(const onnx::NodeProto& node, const FoldingContext& c) {
  const std::string& op = node.op_type();
  if (op == "Shape") {
    const Shape* shape = node.input_size() > 0 ? c.activation_shape(node.input(0)) : nullptr;
    if (shape != nullptr) return fold_shape(node, *shape, c);
    const ConstantTensor* t = node.input_size() > 0 ? c.constant(node.input(0)) : nullptr;
    return t ? std::optional(fold_shape(node, t->dims, c)) : std::nullopt;
  }
  std::vector<const ConstantTensor*> inputs;
  for (const std::string& name : node.input()) {
    if (name.empty()) {
      inputs.push_back(nullptr);  // an omitted optional input
      continue;
    }
    const ConstantTensor* t = c.constant(name);
    if (t == nullptr) return std::nullopt;
    inputs.push_back(t);
  }
  if (inputs.empty() || inputs[0] == nullptr) fail(c, "input 0 is missing");
  const ConstantTensor& x = *inputs[0];
  if (op == "Cast") return fold_cast(node, x, c);
  if (op == "Slice") return fold_slice(node, x, c, inputs);
  if (op == "Concat") {
    if (std::find(inputs.begin(), inputs.end(), nullptr) != inputs.end()) fail(c, "an input is missing");
    return fold_concat(inputs, c);
  }
  if (op == "Gather") {
    if (inputs.size() != 2 || inputs[1] == nullptr) fail(c, "Gather needs data and indices");
    return fold_gather(node, x, *inputs[1], c);
  }
  if (op == "Unsqueeze" || op == "Squeeze") return fold_squeeze(node, x, c, inputs, op == "Unsqueeze");
  if (op == "Transpose") return fold_transpose(node, x, c);
  if (inputs.size() != 2 || inputs[1] == nullptr) fail(c, op + " needs two inputs");
  return fold_arithmetic(op, x, *inputs[1], c);
}

}  // namespace nestrt::converter
