// Elementwise float functions of one value (graph.h: UnaryFunction), built from ONNX operators and
// composed by normalise() into one function per chain, which the converter tabulates for int8.
#pragma once

#include "nestrt/converter/graph.h"

namespace nestrt::converter::unary {

// x (op) c, or c (op) x when constant_first; op is '+', '-', '*' or '/'.
UnaryFunction scalar_arithmetic(char op, float c, bool constant_first);
UnaryFunction clamp(float lo, float hi);  // Relu and Clip
UnaryFunction hard_sigmoid(float alpha, float beta);
UnaryFunction hard_swish();
UnaryFunction sigmoid();

// outer(inner(x)).
UnaryFunction compose(const UnaryFunction& outer, const UnaryFunction& inner);
// clamp(a(x) (op) b(x), activation): a binary node both of whose inputs derive from one value x.
UnaryFunction combine(char op, const UnaryFunction& a, const UnaryFunction& b, const Activation& activation);
// The identity, x.
UnaryFunction identity();

}  // namespace nestrt::converter::unary
