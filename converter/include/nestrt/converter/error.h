#pragma once

#include <stdexcept>
#include <string>

namespace nestrt::converter {

// A model the converter cannot convert (unsupported operator, bad attribute, missing data...).
// The message names the file, node and operator involved.
class ConversionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace nestrt::converter
