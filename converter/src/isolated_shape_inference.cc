#include "isolated_shape_inference.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>

#include "nestrt/converter/error.h"

namespace nestrt::converter {
namespace {

constexpr int kChildInferred = 0;
constexpr int kChildThrew = 3;  // not 1: sanitizers exit with 1 after a report

// Exit status of InferShapes run in a child process; the parent's copy of the model is untouched.
int probe_in_child(onnx::ModelProto& model) {
  const pid_t pid = fork();
  if (pid < 0) return kChildInferred;  // cannot isolate: fall through to the in-process run
  if (pid == 0) {
    // Die quietly on a fault: no sanitizer or fuzzer crash handler in the child, the parent reports.
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
    try {
      onnx::shape_inference::InferShapes(model);
    } catch (...) {
      _exit(kChildThrew);
    }
    _exit(kChildInferred);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return kChildInferred;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

void infer_shapes_isolated(onnx::ModelProto& model, const std::string& source) {
  const int child = probe_in_child(model);
  if (child != kChildInferred && child != kChildThrew) {
    throw ConversionError(
        source + ": ONNX shape inference crashed on this model (" +
        (child > 128 ? std::string("signal ") + strsignal(child - 128) : "exit status " + std::to_string(child)) +
        "): the graph is malformed in a way libonnx does not check, e.g. a tensor of the wrong "
        "rank into Conv or a pool, or kernel_shape/pads/strides of inconsistent lengths");
  }
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception& e) {
    throw ConversionError(source + ": ONNX shape inference failed: " + e.what());
  }
}

}  // namespace nestrt::converter
