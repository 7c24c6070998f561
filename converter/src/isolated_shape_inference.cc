#include "isolated_shape_inference.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <string>

#include "nestrt/converter/error.h"

// Sanitizer runtimes (ASan, UBSan) define it; in plain builds the weak reference stays null.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace nestrt::converter {
namespace {

// The child's report: one tag byte, then a serialized GraphProto holding only the inferred
// value_info and outputs ('O'), or the exception's message ('E').
constexpr char kInferred = 'O';
constexpr char kThrew = 'E';

void write_all(int fd, const std::string& bytes) {
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(4);
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void run_child(onnx::ModelProto& model, int fd) {
  // Die quietly on a fault: no crash handler of a sanitizer or fuzzer runs in the child (libFuzzer
  // would record the input as its own finding); the parent reports the death as an error.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(nullptr);
  std::string report;
  try {
    onnx::shape_inference::InferShapes(model);
    onnx::GraphProto inferred;
    *inferred.mutable_value_info() = model.graph().value_info();
    *inferred.mutable_output() = model.graph().output();
    report = kInferred + inferred.SerializeAsString();
  } catch (const std::exception& e) {
    report = kThrew + std::string(e.what());
  } catch (...) {
    report = kThrew + std::string("unknown exception");
  }
  write_all(fd, report);
  _exit(0);
}

std::string read_all(int fd) {
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return bytes;
    bytes.append(buffer, static_cast<size_t>(n));
  }
}

[[noreturn]] void report_crash(const std::string& source, const std::string& how) {
  throw ConversionError(source + ": ONNX shape inference crashed on this model (" + how +
                        "): the graph is malformed in a way libonnx does not check, e.g. a tensor of the "
                        "wrong rank into Conv or a pool, or kernel_shape/pads/strides of inconsistent lengths");
}

void infer_in_process(onnx::ModelProto& model, const std::string& source) {
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception& e) {
    throw ConversionError(source + ": ONNX shape inference failed: " + e.what());
  }
}

}  // namespace

void infer_shapes_isolated(onnx::ModelProto& model, const std::string& source) {
  int fds[2];
  if (pipe(fds) != 0) return infer_in_process(model, source);  // cannot isolate
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return infer_in_process(model, source);
  }
  if (pid == 0) {
    close(fds[0]);
    run_child(model, fds[1]);
  }
  close(fds[1]);
  const std::string report = read_all(fds[0]);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  if (WIFSIGNALED(status)) report_crash(source, std::string("signal ") + strsignal(WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || report.empty()) {
    report_crash(source, "exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  if (report[0] == kThrew) throw ConversionError(source + ": ONNX shape inference failed: " + report.substr(1));
  onnx::GraphProto inferred;
  if (report[0] != kInferred || !inferred.ParseFromArray(report.data() + 1, static_cast<int>(report.size() - 1))) {
    report_crash(source, "its report was cut short");
  }
  // The parent never runs libonnx's inference itself: a fault that does not kill the child (a
  // silent out-of-bounds write in a release build) cannot corrupt the converter.
  *model.mutable_graph()->mutable_value_info() = inferred.value_info();
  *model.mutable_graph()->mutable_output() = inferred.output();
}

}  // namespace nestrt::converter
