#pragma once

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

// Rewrites an imported graph into the operators the runtime executes, keeping its float function:
// fold_batch_norms, fold_fully_connected_biases, fuse_activations, lower_unfused_clamps,
// fuse_unary_chains, lower_reshapes, then a check
// that only runtime operators remain (clear errors for the rest).
void normalise(Graph& graph);

// BatchNormalization after a Conv (whose output it alone reads) becomes the Conv's weights and bias.
void fold_batch_norms(Graph& graph);
// Add of a constant after a FullyConnected (MatMul + bias) becomes the FullyConnected's bias.
void fold_fully_connected_biases(Graph& graph);
// Relu / Clip after a Conv, FullyConnected or Add (whose output it alone reads) becomes that
// operator's output clamp.
void fuse_activations(Graph& graph);
// Reshapes between tensors whose NCHW and NHWC memory orders agree stay pure reinterpretations;
// a flatten of a spatial map that feeds only FullyConnected operators flattens in HWC order
// instead, with the FullyConnected weight columns permuted to match.
void lower_reshapes(Graph& graph);

// Relu and Clip nodes that fuse_activations could not merge into a producer become unary nodes.
void lower_unfused_clamps(Graph& graph);

// Merges chains of elementwise nodes into single unary nodes: a unary node read only by another
// unary node, and an Add/Mul/Sub/Div whose two operands derive from one value through unary nodes
// only it reads (HardSwish exported as x * Clip(x + 3, 0, 6) / 6 becomes one function of x).
void fuse_unary_chains(Graph& graph);
// Removes nodes whose output no longer reaches the graph output.
void remove_dead_nodes(Graph& graph);

}  // namespace nestrt::converter
