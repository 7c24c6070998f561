// XNNPACK f32 operators for the float executor's nodes that XNNPACK has (design §8: XNNPACK is the
// converter's fast float engine for calibration). Convolution, fully connected, add and the pools
// run in XNNPACK; the IR is NCHW and XNNPACK NHWC, so spatial nodes transpose their input and
// output around the call. Nodes XNNPACK lacks (or whose semantics it does not match, like average
// pooling that counts padding) are left to the reference loops.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

class XnnpackFloatOps {
 public:
  // Creates an operator for every node of `graph` that XNNPACK can run, with the node's weights
  // as they are now (later changes to them are not seen). Throws ConversionError when XNNPACK
  // cannot be initialised on this machine.
  explicit XnnpackFloatOps(const Graph& graph);
  ~XnnpackFloatOps();
  XnnpackFloatOps(const XnnpackFloatOps&) = delete;
  XnnpackFloatOps& operator=(const XnnpackFloatOps&) = delete;

  // True when graph.nodes[index] runs in XNNPACK.
  bool handles(size_t index) const;
  // Runs graph.nodes[index]; `inputs` are its input values (NCHW), `out` is sized for its output.
  void run(size_t index, const std::vector<const std::vector<float>*>& inputs, std::vector<float>& out);
  // How many nodes run in XNNPACK.
  size_t count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nestrt::converter
