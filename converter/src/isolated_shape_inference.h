// ONNX shape inference run where a crash in it cannot take the converter down.
#pragma once

#include <string>

namespace onnx {
class ModelProto;
}

namespace nestrt::converter {

// Runs onnx::shape_inference::InferShapes on the model in a forked child only, and copies the
// inferred value_info and outputs back through a pipe: libonnx 1.12 dereferences null on some
// malformed graphs (found by fuzzing: a rank-2 tensor into Conv), and a bad input file must give an
// error, never a crash or a corrupted converter. Throws ConversionError naming `source` when the
// child dies or inference reports an error. Runs in process only where it cannot fork.
void infer_shapes_isolated(onnx::ModelProto& model, const std::string& source);

}  // namespace nestrt::converter
