#include "nestrt/converter/normalise.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "nestrt/converter/error.h"
#include "unary_function.h"

namespace nestrt::converter {
namespace {

// The producer of node's (single) input when node is the only reader of that value and the value
// is not the graph output, i.e. when node can be merged into its producer; -1 otherwise.
int sole_producer(const Graph& graph, const Node& node) {
  const int v = node.inputs.at(0);
  if (v == graph.output || graph.consumers(v).size() != 1) return -1;
  return graph.producer(v);
}

// Merges nodes[index] into its producer: the producer now writes the merged node's output value.
void absorb_into_producer(Graph& graph, size_t index, int producer) {
  graph.nodes[static_cast<size_t>(producer)].output = graph.nodes[index].output;
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
}

// Applies merge(producer, node) to every node of kind `op` whose sole producer has a kind
// accepted by `accepts`, then removes the node.
template <typename Accepts, typename Merge>
void merge_into_producers(Graph& graph, OpKind op, Accepts accepts, Merge merge) {
  for (size_t i = 0; i < graph.nodes.size();) {
    const int p = graph.nodes[i].op == op ? sole_producer(graph, graph.nodes[i]) : -1;
    if (p >= 0 && accepts(graph.nodes[static_cast<size_t>(p)])) {
      merge(graph.nodes[static_cast<size_t>(p)], graph.nodes[i]);
      absorb_into_producer(graph, i, p);
    } else {
      ++i;
    }
  }
}

// In NCHW and NHWC alike the elements of these tensors are in the same memory order.
bool layout_agnostic(const Shape& s) {
  return s.size() == 2 || (s.size() == 4 && (s[1] == 1 || s[2] * s[3] == 1));
}

std::string where(const Graph& graph, const Node& node) {
  return graph.source_path + ": " + graph.describe(node);
}

// Why a node that should have been merged into its producer was not.
std::string producer_story(const Graph& graph, const Node& node) {
  const int v = node.inputs.at(0);
  const int p = graph.producer(v);
  if (p < 0) return "its input is the graph input";
  std::string story = "its input comes from " + graph.describe(graph.nodes[static_cast<size_t>(p)]);
  if (graph.consumers(v).size() > 1) story += ", which has other consumers";
  if (v == graph.output) story += ", which is the graph output";
  return story;
}

}  // namespace

void fold_batch_norms(Graph& graph) {
  merge_into_producers(
      graph, OpKind::kBatchNorm, [](const Node& p) { return p.op == OpKind::kConv && p.activation.is_identity(); },
      [](Node& conv, const Node& bn) {
        const size_t channels = bn.batch_norm.scale.size();
        const size_t per_channel = conv.weights.size() / channels;
        for (size_t o = 0; o < channels; ++o) {
          // y = (conv(x) + b - mean) * gamma / sqrt(var + eps) + beta, folded in double.
          const double factor = static_cast<double>(bn.batch_norm.scale[o]) /
                                std::sqrt(static_cast<double>(bn.batch_norm.variance[o]) + bn.batch_norm.epsilon);
          for (size_t k = 0; k < per_channel; ++k) {
            float& w = conv.weights[o * per_channel + k];
            w = static_cast<float>(w * factor);
          }
          conv.bias[o] = static_cast<float>((static_cast<double>(conv.bias[o]) - bn.batch_norm.mean[o]) * factor +
                                            bn.batch_norm.bias[o]);
        }
      });
}

void fold_fully_connected_biases(Graph& graph) {
  merge_into_producers(
      graph, OpKind::kAddConstant,
      [](const Node& p) { return p.op == OpKind::kFullyConnected && p.activation.is_identity(); },
      [](Node& fc, const Node& add) {
        for (size_t o = 0; o < fc.bias.size(); ++o) fc.bias[o] += add.bias[o];
      });
}

void fuse_activations(Graph& graph) {
  const auto accepts = [](const Node& p) {
    return p.op == OpKind::kConv || p.op == OpKind::kFullyConnected || p.op == OpKind::kAdd;
  };
  const auto merge = [](Node& producer, const Node& act) {
    producer.activation.min = std::max(producer.activation.min, act.activation.min);
    producer.activation.max = std::min(producer.activation.max, act.activation.max);
  };
  // Until nothing changes: Relu after Clip after Conv merges in two rounds.
  for (size_t before = 0; before != graph.nodes.size();) {
    before = graph.nodes.size();
    merge_into_producers(graph, OpKind::kRelu, accepts, merge);
    merge_into_producers(graph, OpKind::kClip, accepts, merge);
  }
}

void lower_unfused_clamps(Graph& graph) {
  for (Node& node : graph.nodes) {
    if (node.op != OpKind::kRelu && node.op != OpKind::kClip) continue;
    node.op = OpKind::kUnary;
    node.unary = unary::clamp(node.activation.min, node.activation.max);
    node.activation = {};
  }
}

namespace {

// The unary node producing v if only `reader` reads v, else -1.
int private_unary_producer(const Graph& graph, int v, int reader) {
  const int p = graph.producer(v);
  if (p < 0 || v == graph.output || graph.nodes[static_cast<size_t>(p)].op != OpKind::kUnary) return -1;
  const std::vector<int> readers = graph.consumers(v);
  return readers.size() == 1 && readers[0] == reader ? p : -1;
}

// One rewrite of fuse_unary_chains, or false when there is none left.
bool fuse_one_unary(Graph& graph) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& node = graph.nodes[i];
    const int self = static_cast<int>(i);
    if (node.op == OpKind::kUnary) {
      const int p = private_unary_producer(graph, node.inputs[0], self);
      if (p < 0) continue;
      Node& producer = graph.nodes[static_cast<size_t>(p)];
      producer.unary = unary::compose(node.unary, producer.unary);
      producer.name = node.name;  // the chain is known by its result (paddle2onnx: "hardswish_0")
      producer.onnx_op = node.onnx_op;
      absorb_into_producer(graph, i, p);
      return true;
    }
    const bool binary = node.op == OpKind::kAdd || node.op == OpKind::kMul || node.op == OpKind::kBinary;
    if (!binary || node.inputs.size() != 2) continue;
    // Each operand as (source value, function of it): through a unary node only this one reads.
    int source[2], absorbed[2];
    UnaryFunction f[2];
    for (int k = 0; k < 2; ++k) {
      absorbed[k] = private_unary_producer(graph, node.inputs[static_cast<size_t>(k)], self);
      const Node* u = absorbed[k] >= 0 ? &graph.nodes[static_cast<size_t>(absorbed[k])] : nullptr;
      source[k] = u ? u->inputs[0] : node.inputs[static_cast<size_t>(k)];
      f[k] = u ? u->unary : unary::identity();
    }
    if (source[0] != source[1]) continue;
    const char op = node.op == OpKind::kAdd ? '+' : node.op == OpKind::kMul ? '*' : node.binary_op;
    node.unary = unary::combine(op, f[0], f[1], node.activation);
    node.op = OpKind::kUnary;
    node.activation = {};
    node.inputs = {source[0]};
    // Drop the absorbed producers, the later first so the earlier index stays valid (both operands
    // may read one unary node, as in u(x) * u(x)).
    const std::set<int, std::greater<int>> drop = {absorbed[0], absorbed[1]};
    for (int a : drop) {
      if (a >= 0) graph.nodes.erase(graph.nodes.begin() + a);
    }
    return true;
  }
  return false;
}

}  // namespace

void fuse_unary_chains(Graph& graph) {
  while (fuse_one_unary(graph)) {
  }
}

void lower_reshapes(Graph& graph) {
  for (Node& node : graph.nodes) {
    if (node.op != OpKind::kReshape) continue;
    const Shape& in = graph.value(node.inputs[0]).shape;
    const Shape& out = graph.value(node.output).shape;
    if (layout_agnostic(in) && layout_agnostic(out)) continue;
    const std::vector<int> consumers = graph.consumers(node.output);
    const bool flattens_map = in.size() == 4 && out == Shape{1, in[1] * in[2] * in[3]};
    const bool feeds_only_fc = !consumers.empty() && node.output != graph.output &&
                               std::all_of(consumers.begin(), consumers.end(), [&](int c) {
                                 return graph.nodes[static_cast<size_t>(c)].op == OpKind::kFullyConnected;
                               });
    if (!flattens_map || !feeds_only_fc) {
      throw ConversionError(where(graph, node) + ": reshaping " + shape_string(in) + " to " + shape_string(out) +
                            " is not supported: in the runtime's NHWC layout it is a transpose; only flattening a "
                            "feature map straight into fully connected layers is");
    }
    // The runtime flattens NHWC memory, i.e. in (h, w, c) order: permute the FC weight columns from
    // (c, h, w) to match, so the float function is unchanged.
    const int64_t channels = in[1], pixels = in[2] * in[3], width = channels * pixels;
    for (int c : consumers) {
      Node& fc = graph.nodes[static_cast<size_t>(c)];
      std::vector<float> permuted(fc.weights.size());
      for (int64_t o = 0; o < fc.weight_shape[0]; ++o) {
        for (int64_t ch = 0; ch < channels; ++ch) {
          for (int64_t p = 0; p < pixels; ++p) {
            permuted[o * width + p * channels + ch] = fc.weights[o * width + ch * pixels + p];
          }
        }
      }
      fc.weights = std::move(permuted);
    }
    node.flatten_hwc = true;
  }
}

void remove_dead_nodes(Graph& graph) {
  std::vector<bool> live(graph.values.size(), false);
  live[static_cast<size_t>(graph.output)] = true;
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    const Node& node = graph.nodes[i];
    if (!live[static_cast<size_t>(node.output)]) continue;
    for (int v : node.inputs) live[static_cast<size_t>(v)] = true;
  }
  std::erase_if(graph.nodes, [&](const Node& n) { return !live[static_cast<size_t>(n.output)]; });
}

void normalise(Graph& graph) {
  remove_dead_nodes(graph);
  fold_batch_norms(graph);
  fold_fully_connected_biases(graph);
  fuse_activations(graph);
  lower_unfused_clamps(graph);
  fuse_unary_chains(graph);
  lower_reshapes(graph);
  for (const Node& node : graph.nodes) {
    switch (node.op) {
      case OpKind::kConv:
      case OpKind::kFullyConnected:
      case OpKind::kAdd:
      case OpKind::kMaxPool:
      case OpKind::kAveragePool:
      case OpKind::kGlobalAveragePool:
      case OpKind::kReshape:
      case OpKind::kUnary:
      case OpKind::kMul:
      case OpKind::kSoftmax:
      case OpKind::kConcat:
      case OpKind::kResize:
      case OpKind::kZeroInsert:
      case OpKind::kRelu:  // lowered to kUnary above
      case OpKind::kClip: break;
      case OpKind::kBinary:
        throw ConversionError(where(graph, node) + ": " + std::string(1, node.binary_op) +
                              " of two computed tensors is supported only when both derive from one tensor through "
                              "elementwise operators (as in HardSwish)");
      case OpKind::kBatchNorm:
        throw ConversionError(where(graph, node) +
                              ": cannot fold this BatchNormalization: " + producer_story(graph, node) +
                              " (only a BatchNormalization after a Conv read by nothing else is supported)");
      case OpKind::kAddConstant:
        throw ConversionError(where(graph, node) +
                              ": cannot fold this constant Add into a bias: " + producer_story(graph, node) +
                              " (only a constant Add after a MatMul/Gemm read by nothing else is supported)");
    }
  }
}

}  // namespace nestrt::converter
