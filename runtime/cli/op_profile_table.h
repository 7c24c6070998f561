// `nestrt bench --profile`: the per-operator profile of a session as two tables, one row per
// operator in execution order and one per operator type, in the manner of TFLite's op profiling.
#pragma once

#include <cstdio>

#include "nestrt/nestrt.h"

namespace nestrt::cli {

// Prints the session's profile (created with profile_ops) to out; throws on an API error.
void print_op_profile(nestrt_session* session, std::FILE* out);

}  // namespace nestrt::cli
