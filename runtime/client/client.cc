// The C client of nestrtd: blocking request/response over the Unix socket, protocol v1.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "nestrt/nestrt_client.h"
#include "protocol.h"

namespace p = nestrt::daemon::protocol;

struct nestrt_client {
  int fd = -1;
  int timeout_ms = 0;
  uint32_t next_id = 1;
  std::string message;
  std::vector<std::string> labels;
  nestrt_image_geometry geometry{};
};

namespace {

nestrt_client_status fail(nestrt_client* c, nestrt_client_status s, const std::string& message) {
  c->message = message;
  return s;
}

bool wait_fd(nestrt_client* c, short events) {
  if (c->timeout_ms <= 0) return true;
  pollfd pfd{c->fd, events, 0};
  int rc;
  do rc = poll(&pfd, 1, c->timeout_ms);
  while (rc < 0 && errno == EINTR);
  return rc > 0;
}

nestrt_client_status send_all(nestrt_client* c, const std::vector<uint8_t>& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    if (!wait_fd(c, POLLOUT)) return fail(c, NESTRT_CLIENT_IO_ERROR, "timed out sending to nestrtd");
    const ssize_t n = send(c->fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(c, NESTRT_CLIENT_IO_ERROR, std::string("send: ") + std::strerror(errno));
    at += static_cast<size_t>(n);
  }
  return NESTRT_CLIENT_OK;
}

nestrt_client_status recv_all(nestrt_client* c, uint8_t* out, size_t count) {
  size_t at = 0;
  while (at < count) {
    if (!wait_fd(c, POLLIN)) return fail(c, NESTRT_CLIENT_IO_ERROR, "timed out waiting for nestrtd");
    const ssize_t n = recv(c->fd, out + at, count - at, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return fail(c, NESTRT_CLIENT_IO_ERROR, "nestrtd closed the connection");
    if (n < 0) return fail(c, NESTRT_CLIENT_IO_ERROR, std::string("recv: ") + std::strerror(errno));
    at += static_cast<size_t>(n);
  }
  return NESTRT_CLIENT_OK;
}

// Sends a request frame and reads its response; a non-OK daemon code is returned with its message.
nestrt_client_status exchange(nestrt_client* c, const std::vector<uint8_t>& frame, uint32_t id, p::Response& response);

// After an I/O or protocol failure the stream position is unknown (a late response could be read
// as the answer to the next request), so the connection is closed and later calls fail cleanly.
nestrt_client_status call(nestrt_client* c, const std::vector<uint8_t>& frame, uint32_t id, p::Response& response) {
  if (!c) return NESTRT_CLIENT_INVALID_ARGUMENT;
  if (c->fd < 0) return fail(c, NESTRT_CLIENT_IO_ERROR, "connection to nestrtd closed after an earlier error");
  const nestrt_client_status s = exchange(c, frame, id, response);
  if (s == NESTRT_CLIENT_IO_ERROR || s == NESTRT_CLIENT_PROTOCOL_ERROR) {
    close(c->fd);
    c->fd = -1;
  }
  return s;
}

nestrt_client_status exchange(nestrt_client* c, const std::vector<uint8_t>& frame, uint32_t id, p::Response& response) {
  c->message.clear();
  if (auto s = send_all(c, frame)) return s;
  uint8_t head[p::kHeaderBytes];
  if (auto s = recv_all(c, head, sizeof head)) return s;
  if (p::validate_header(head, p::kMaxPayloadLimit)) {
    return fail(c, NESTRT_CLIENT_PROTOCOL_ERROR, "malformed response header from nestrtd");
  }
  const p::Header h = p::decode_header(head);
  std::vector<uint8_t> payload(h.length);
  if (auto s = recv_all(c, payload.data(), payload.size())) return s;
  p::Error error;
  auto r = p::parse_response(h, payload, error);
  if (!r) return fail(c, NESTRT_CLIENT_PROTOCOL_ERROR, error.message);
  response = std::move(*r);
  c->message = response.message;
  if (response.code != p::Code::kOk) return static_cast<nestrt_client_status>(response.code);
  if (response.type != (frame[5] | p::kResponseBit) || response.id != id) {
    return fail(c, NESTRT_CLIENT_PROTOCOL_ERROR, "response does not match the request");
  }
  return NESTRT_CLIENT_OK;
}

// Wire mode byte (0 full, 1 part, 2 graded) -> nestrt_mode; unknown values read as full.
nestrt_mode mode_of(uint8_t wire) {
  return wire == 1 ? NESTRT_MODE_PART : wire == 2 ? NESTRT_MODE_GRADED : NESTRT_MODE_FULL;
}

bool valid_name(const char* model) {
  return model && p::valid_model_name(model);
}

}  // namespace

extern "C" {

nestrt_client_status nestrt_client_connect(const char* socket_path, int timeout_ms, nestrt_client** client) {
  if (!socket_path || !client) return NESTRT_CLIENT_INVALID_ARGUMENT;
  *client = nullptr;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t len = std::strlen(socket_path);
  if (len == 0 || len >= sizeof addr.sun_path) return NESTRT_CLIENT_INVALID_ARGUMENT;
  std::memcpy(addr.sun_path, socket_path, len + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return NESTRT_CLIENT_CONNECT_FAILED;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return NESTRT_CLIENT_CONNECT_FAILED;
  }
  auto* c = new nestrt_client;
  c->fd = fd;
  c->timeout_ms = timeout_ms;
  *client = c;
  return NESTRT_CLIENT_OK;
}

void nestrt_client_close(nestrt_client* client) {
  if (!client) return;
  if (client->fd >= 0) close(client->fd);
  delete client;
}

nestrt_client_status nestrt_client_infer(nestrt_client* c, const char* model, const int64_t* dims, size_t rank,
                                         const float* input, size_t input_count, float* output, size_t output_capacity,
                                         size_t* output_count, nestrt_mode* mode_used) {
  if (!c || !valid_name(model) || !dims || rank == 0 || rank > p::kMaxRank || (!input && input_count) ||
      !output_count || input_count > p::kMaxPayloadLimit / 4) {
    return NESTRT_CLIENT_INVALID_ARGUMENT;
  }
  const uint32_t id = c->next_id++;
  p::Response r;
  const auto frame = p::encode_infer(id, model, std::span(dims, rank), std::span(input, input_count));
  if (auto s = call(c, frame, id, r)) return s;
  p::InferResult result;
  if (!p::parse_infer_result(r.body, result)) return fail(c, NESTRT_CLIENT_PROTOCOL_ERROR, "malformed infer result");
  *output_count = result.data.size();
  if (mode_used) *mode_used = mode_of(result.mode);
  if (output_capacity < result.data.size() || !output) {
    return fail(c, NESTRT_CLIENT_BUFFER_TOO_SMALL, "output needs " + std::to_string(result.data.size()) + " floats");
  }
  std::memcpy(output, result.data.data(), result.data.size() * sizeof(float));
  return NESTRT_CLIENT_OK;
}

nestrt_client_status nestrt_client_model_info_get(nestrt_client* c, const char* model, nestrt_client_model_info* out) {
  if (!c || !valid_name(model) || !out) return NESTRT_CLIENT_INVALID_ARGUMENT;
  const uint32_t id = c->next_id++;
  p::Response r;
  if (auto s = call(c, p::encode_model_info(id, model), id, r)) return s;
  p::ModelInfo info;
  if (!p::parse_model_info_result(r.body, info)) return fail(c, NESTRT_CLIENT_PROTOCOL_ERROR, "malformed model info");
  *out = {};
  out->input_rank = info.input_dims.size();
  std::copy(info.input_dims.begin(), info.input_dims.end(), out->input_dims);
  out->output_rank = info.output_dims.size();
  std::copy(info.output_dims.begin(), info.output_dims.end(), out->output_dims);
  out->preprocess.scale = info.scale;
  out->preprocess.channels = info.channels;
  for (int i = 0; i < 4; ++i) out->preprocess.mean[i] = info.mean[i], out->preprocess.std[i] = info.std[i];
  out->preprocess.color = static_cast<nestrt_color>(info.color);
  out->mode = mode_of(info.mode);
  out->label_count = info.labels.size();
  c->labels = std::move(info.labels);
  c->geometry = {info.geometry[0], info.geometry[1], info.geometry[2], info.geometry[3], info.geometry[4]};
  return NESTRT_CLIENT_OK;
}

const char* nestrt_client_label(const nestrt_client* c, size_t index) {
  return c && index < c->labels.size() ? c->labels[index].c_str() : nullptr;
}

nestrt_client_status nestrt_client_image_geometry(const nestrt_client* c, nestrt_image_geometry* geometry) {
  if (!c || !geometry) return NESTRT_CLIENT_INVALID_ARGUMENT;
  *geometry = c->geometry;
  return NESTRT_CLIENT_OK;
}

nestrt_client_status nestrt_client_status_text(nestrt_client* c, char* text, size_t capacity) {
  if (!c || !text || capacity == 0) return NESTRT_CLIENT_INVALID_ARGUMENT;
  const uint32_t id = c->next_id++;
  p::Response r;
  if (auto s = call(c, p::encode_status(id), id, r)) return s;
  const size_t n = std::min(capacity - 1, r.body.size());
  std::memcpy(text, r.body.data(), n);
  text[n] = '\0';
  return NESTRT_CLIENT_OK;
}

nestrt_client_status nestrt_client_switch(nestrt_client* c, nestrt_mode mode) {
  if (!c || (mode != NESTRT_MODE_FULL && mode != NESTRT_MODE_PART)) return NESTRT_CLIENT_INVALID_ARGUMENT;
  const uint32_t id = c->next_id++;
  p::Response r;
  return call(c, p::encode_switch(id, static_cast<uint8_t>(mode)), id, r);
}

nestrt_client_status nestrt_client_budget(nestrt_client* c, uint64_t bytes) {
  if (!c) return NESTRT_CLIENT_INVALID_ARGUMENT;
  const uint32_t id = c->next_id++;
  p::Response r;
  return call(c, p::encode_budget(id, bytes), id, r);
}

nestrt_client_status nestrt_client_policy(nestrt_client* c, int enabled) {
  if (!c) return NESTRT_CLIENT_INVALID_ARGUMENT;
  const uint32_t id = c->next_id++;
  p::Response r;
  return call(c, p::encode_policy(id, enabled != 0), id, r);
}

const char* nestrt_client_message(const nestrt_client* c) {
  return c ? c->message.c_str() : "";
}

const char* nestrt_client_status_string(nestrt_client_status s) {
  if (s >= NESTRT_CLIENT_BAD_FRAME && s <= NESTRT_CLIENT_BAD_REQUEST) return p::code_name(static_cast<p::Code>(s));
  switch (s) {
    case NESTRT_CLIENT_OK: return "ok";
    case NESTRT_CLIENT_CONNECT_FAILED: return "connect-failed";
    case NESTRT_CLIENT_IO_ERROR: return "io-error";
    case NESTRT_CLIENT_PROTOCOL_ERROR: return "protocol-error";
    case NESTRT_CLIENT_BUFFER_TOO_SMALL: return "buffer-too-small";
    case NESTRT_CLIENT_INVALID_ARGUMENT: return "invalid-argument";
    default: return "unknown";
  }
}

}  // extern "C"
