#include "unary_function.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace nestrt::converter::unary {
namespace {

std::string number(float v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

float arithmetic(char op, float a, float b) {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return a / b;
  }
}

// One token or one call, as "x", "3" or "Clip(x + 3, 0, 6)": no space outside parentheses.
bool is_atom(const std::string& text) {
  int depth = 0;
  for (char ch : text) {
    depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
    if (ch == ' ' && depth == 0) return false;
  }
  return true;
}

// `text` with every standalone x (the argument) replaced by `argument`, parenthesised unless it is
// one token or fills a whole call argument, as in Clip(x, 0, 6).
std::string substitute(const std::string& text, const std::string& argument) {
  std::string out;
  const auto word = [&](size_t i) { return i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])); };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != 'x' || (i > 0 && word(i - 1)) || word(i + 1)) {
      out += text[i];
      continue;
    }
    const bool whole_argument =
        i > 0 && text[i - 1] == '(' && i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == ')');
    out += is_atom(argument) || whole_argument ? argument : "(" + argument + ")";
  }
  return out;
}

}  // namespace

UnaryFunction identity() {
  return {[](float x) { return x; }, "x"};
}

UnaryFunction scalar_arithmetic(char op, float c, bool constant_first) {
  if (constant_first) return {[op, c](float x) { return arithmetic(op, c, x); }, number(c) + " " + op + " x"};
  return {[op, c](float x) { return arithmetic(op, x, c); }, std::string("x ") + op + " " + number(c)};
}

UnaryFunction clamp(float lo, float hi) {
  // std::max/min keep NaN out of the comparison order the way ONNX Runtime's Clip does for finite x.
  return {[lo, hi](float x) { return std::min(std::max(x, lo), hi); },
          "Clip(x, " + number(lo) + ", " + number(hi) + ")"};
}

UnaryFunction hard_sigmoid(float alpha, float beta) {
  return {[alpha, beta](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); },
          "HardSigmoid(x, " + number(alpha) + ", " + number(beta) + ")"};
}

UnaryFunction hard_swish() {
  return {[](float x) { return x * std::max(0.0f, std::min(1.0f, x * (1.0f / 6.0f) + 0.5f)); }, "HardSwish(x)"};
}

UnaryFunction sigmoid() {
  return {[](float x) { return 1.0f / (1.0f + std::exp(-x)); }, "Sigmoid(x)"};
}

UnaryFunction compose(const UnaryFunction& outer, const UnaryFunction& inner) {
  if (inner.text == "x") return outer;
  if (outer.text == "x") return inner;
  const auto f = outer.apply, g = inner.apply;
  return {[f, g](float x) { return f(g(x)); }, substitute(outer.text, inner.text)};
}

UnaryFunction combine(char op, const UnaryFunction& a, const UnaryFunction& b, const Activation& activation) {
  const auto f = a.apply, g = b.apply;
  const float lo = activation.min, hi = activation.max;
  const auto wrap = [](const std::string& t) { return is_atom(t) ? t : "(" + t + ")"; };
  UnaryFunction result{[f, g, op](float x) { return arithmetic(op, f(x), g(x)); },
                       wrap(a.text) + " " + op + " " + wrap(b.text)};
  if (activation.is_identity()) return result;
  return compose(clamp(lo, hi), result);
}

}  // namespace nestrt::converter::unary
