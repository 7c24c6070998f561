#include "op_profile_table.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nestrt::cli {
namespace {

struct TypeTotal {
  size_t count = 0;
  uint64_t ns = 0, macs = 0;
};

double ms_per_run(uint64_t ns, uint64_t runs) {
  return runs ? static_cast<double>(ns) / 1e6 / static_cast<double>(runs) : 0.0;
}

// Giga multiply-accumulates per second; "-" where the operator has no weights.
std::string gmacs(uint64_t macs_per_run, uint64_t ns, uint64_t runs) {
  if (macs_per_run == 0 || ns == 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f",
                static_cast<double>(macs_per_run) * static_cast<double>(runs) / static_cast<double>(ns));
  return text;
}

}  // namespace

void print_op_profile(nestrt_session* session, std::FILE* out) {
  size_t count = 0;
  if (nestrt_session_op_profile(session, nullptr, 0, &count) != NESTRT_OK)
    throw std::runtime_error(nestrt_last_error());
  std::vector<nestrt_op_profile> ops(count);
  if (nestrt_session_op_profile(session, ops.data(), ops.size(), &count) != NESTRT_OK) {
    throw std::runtime_error(nestrt_last_error());
  }
  uint64_t total_ns = 0;
  size_t name_width = 4;
  for (const nestrt_op_profile& op : ops) {
    total_ns += op.total_ns;
    name_width = std::max(name_width, std::string(op.name).size());
  }
  name_width = std::min<size_t>(name_width, 40);
  const uint64_t runs = ops.empty() ? 0 : ops.front().runs;
  const auto share = [&](uint64_t ns) { return total_ns ? 100.0 * static_cast<double>(ns) / total_ns : 0.0; };
  std::fprintf(out, "\noperator profile: mean of %llu runs, %.3f ms per run in operators\n",
               static_cast<unsigned long long>(runs), ms_per_run(total_ns, runs));
  std::fprintf(out, "%4s  %-*s  %-17s %10s %7s %9s\n", "#", int(name_width), "node", "type", "ms", "%", "GMAC/s");
  std::map<std::string, TypeTotal> by_type;
  for (size_t i = 0; i < ops.size(); ++i) {
    const nestrt_op_profile& op = ops[i];
    std::fprintf(out, "%4zu  %-*.*s  %-17s %10.3f %7.1f %9s\n", i, int(name_width), int(name_width), op.name, op.type,
                 ms_per_run(op.total_ns, runs), share(op.total_ns), gmacs(op.macs, op.total_ns, runs).c_str());
    TypeTotal& t = by_type[op.type];
    ++t.count, t.ns += op.total_ns, t.macs += op.macs;
  }
  std::vector<std::pair<std::string, TypeTotal>> types(by_type.begin(), by_type.end());
  std::sort(types.begin(), types.end(), [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
  std::fprintf(out, "\nby operator type:\n%-17s %6s %10s %7s %9s\n", "type", "count", "ms", "%", "GMAC/s");
  for (const auto& [type, t] : types) {
    std::fprintf(out, "%-17s %6zu %10.3f %7.1f %9s\n", type.c_str(), t.count, ms_per_run(t.ns, runs), share(t.ns),
                 gmacs(t.macs, t.ns, runs).c_str());
  }
}

}  // namespace nestrt::cli
