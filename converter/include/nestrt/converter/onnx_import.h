#pragma once

#include <string>

#include "nestrt/converter/graph.h"

namespace onnx {
class ModelProto;
}

namespace nestrt::converter {

// Reads an ONNX file, runs ONNX's checker and shape inference, and translates the supported
// operators (weights from initializers and Constant nodes) into the float IR. A symbolic batch
// dimension becomes 1. input_shape (optional, NCHW) fixes the input's dimensions, which a model
// with symbolic height and width needs (PaddleOCR's [N,3,H,W]); dimensions the model fixes must
// agree. Throws ConversionError naming the file, node and operator on anything else.
Graph import_onnx_file(const std::string& path, const Shape& input_shape = {});

// The same for a model already in memory; source_name is used in messages.
Graph import_onnx_model(onnx::ModelProto model, const std::string& source_name, const Shape& input_shape = {});

}  // namespace nestrt::converter
