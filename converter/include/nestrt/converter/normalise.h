#pragma once

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

// Rewrites an imported graph into the operators the runtime executes, keeping its float function:
// fold_batch_norms, fold_fully_connected_biases, fuse_activations, lower_reshapes, then a check
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
// Removes nodes whose output no longer reaches the graph output.
void remove_dead_nodes(Graph& graph);

}  // namespace nestrt::converter
