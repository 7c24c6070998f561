#pragma once

#include <stdexcept>
#include <string>

namespace nestrt::io {

// Every loader throws this on unreadable or malformed input; the message names the file and the problem.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace nestrt::io
