// The nestrtd wire protocol, version 1 (docs/daemon.md documents it byte by byte).
//
// Every message is a frame: a 16-byte header (magic "NRTD", version, type, flags, request id,
// payload length; little-endian) followed by the payload. This file holds everything that turns
// bytes into requests/responses and back, with no I/O, so it can be unit-tested and fuzzed alone.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace nestrt::daemon::protocol {

static_assert(std::endian::native == std::endian::little, "the protocol codec assumes a little-endian host");

inline constexpr uint8_t kMagic[4] = {'N', 'R', 'T', 'D'};
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 16;
inline constexpr uint32_t kMaxPayloadLimit = 64u << 20;  // hard cap; the config may only lower it
inline constexpr size_t kMaxNameBytes = 64;
inline constexpr size_t kMaxRank = 8;
inline constexpr int64_t kMaxDim = 1 << 24;
inline constexpr uint8_t kResponseBit = 0x80;

enum class Type : uint8_t {
  kInfer = 1,
  kStatus = 2,
  kSwitch = 3,
  kPolicy = 4,
  kModelInfo = 5,
  kBudget = 6,
  kError = 0xFF,  // response to a frame that could not be attributed to a request (bad header)
};

enum class Code : uint16_t {
  kOk = 0,
  kBadFrame = 1,      // malformed header or payload layout
  kBadVersion = 2,    // protocol version not spoken by this daemon
  kUnknownType = 3,   // request type not known
  kUnknownModel = 4,  // no model of that name is loaded
  kWrongShape = 5,    // tensor shape differs from the model's input shape
  kTooLarge = 6,      // payload above the configured frame limit
  kBusy = 7,          // request queue or connection table full: retry later
  kInternal = 8,      // inference or switch failed inside the runtime
  kShuttingDown = 9,  // the daemon is draining (SIGTERM)
  kBadRequest = 10,   // well-formed frame with an invalid value (e.g. mode 7)
};

const char* code_name(Code code);

struct Header {
  uint8_t version = kVersion;
  uint8_t type = 0;
  uint16_t flags = 0;
  uint32_t id = 0;
  uint32_t length = 0;
};

struct Error {
  Code code = Code::kOk;
  std::string message;
  explicit operator bool() const { return code != Code::kOk; }
};

// Decodes the 16 header bytes (no checks) and validates a decoded header: magic, version, flags
// (must be 0) and payload length against max_payload.
Header decode_header(const uint8_t* bytes);
Error validate_header(const uint8_t* bytes, uint32_t max_payload);

struct InferRequest {
  std::string model;
  std::vector<int64_t> dims;
  std::vector<float> data;
};
struct SwitchRequest {
  uint8_t mode = 0;  // 0 full, 1 part
};
struct PolicyRequest {
  bool enabled = true;
};
struct ModelInfoRequest {
  std::string model;
};
struct StatusRequest {};
// Memory budget for the governed models' weights: each model gets its share (in proportion to its
// full-mode weight bytes) and the lowest graded level that fits it (nestrt_switch_budget).
struct BudgetRequest {
  uint64_t bytes = 0;
};

using RequestBody =
    std::variant<StatusRequest, InferRequest, SwitchRequest, PolicyRequest, ModelInfoRequest, BudgetRequest>;

struct Request {
  Type type = Type::kStatus;
  uint32_t id = 0;
  RequestBody body;
};

// Parses a request payload whose header already passed validate_header. On error, `error` says
// what is wrong and the connection may continue with the next frame (the framing is intact).
std::optional<Request> parse_request(const Header& header, std::span<const uint8_t> payload, Error& error);

// Incremental frame splitter for a byte stream. After kError the stream cannot be resynchronised:
// send the error and close.
class FrameReader {
 public:
  explicit FrameReader(uint32_t max_payload) : max_payload_(max_payload) {}
  enum class Result { kNeedMore, kFrame, kError };
  void append(const uint8_t* bytes, size_t count);
  Result next(Header& header, std::vector<uint8_t>& payload, Error& error);
  size_t buffered() const { return buffer_.size() - start_; }

 private:
  uint32_t max_payload_;
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;
};

// --- Encoding ---------------------------------------------------------------------------------
class Writer {
 public:
  void u8(uint8_t v) { bytes_.push_back(v); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void i64(int64_t v) { raw(&v, 8); }
  void u64(uint64_t v) { raw(&v, 8); }
  void f32(float v) { raw(&v, 4); }
  void str8(const std::string& s);   // u8 length + bytes
  void str16(const std::string& s);  // u16 length + bytes
  void raw(const void* p, size_t n);
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool u8(uint8_t& v) { return raw(&v, 1); }
  bool u16(uint16_t& v) { return raw(&v, 2); }
  bool u32(uint32_t& v) { return raw(&v, 4); }
  bool i64(int64_t& v) { return raw(&v, 8); }
  bool u64(uint64_t& v) { return raw(&v, 8); }
  bool f32(float& v) { return raw(&v, 4); }
  bool str8(std::string& s);
  bool str16(std::string& s);
  bool raw(void* p, size_t n);
  size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

std::vector<uint8_t> encode_frame(uint8_t type, uint32_t id, std::span<const uint8_t> payload);

// Requests (client side).
std::vector<uint8_t> encode_infer(uint32_t id, const std::string& model, std::span<const int64_t> dims,
                                  std::span<const float> data);
std::vector<uint8_t> encode_status(uint32_t id);
std::vector<uint8_t> encode_switch(uint32_t id, uint8_t mode);
std::vector<uint8_t> encode_policy(uint32_t id, bool enabled);
std::vector<uint8_t> encode_model_info(uint32_t id, const std::string& model);
std::vector<uint8_t> encode_budget(uint32_t id, uint64_t bytes);

// Responses: payload = u16 code, u16 message length, message, then a type-specific body.
std::vector<uint8_t> encode_response(uint8_t type, uint32_t id, Code code, const std::string& message,
                                     std::span<const uint8_t> body = {});

struct Response {
  uint8_t type = 0;
  uint32_t id = 0;
  Code code = Code::kOk;
  std::string message;
  std::vector<uint8_t> body;
};
std::optional<Response> parse_response(const Header& header, std::span<const uint8_t> payload, Error& error);

// Infer response body: u8 mode, u8 rank, i64 dims[rank], u32 count, f32 data[count].
struct InferResult {
  uint8_t mode = 0;
  std::vector<int64_t> dims;
  std::vector<float> data;
};
std::vector<uint8_t> encode_infer_result(const InferResult& result);
bool parse_infer_result(std::span<const uint8_t> body, InferResult& result);

// Model-info response body: u8 rank + i64 input dims, u8 rank + i64 output dims, f32 scale,
// u8 channels, f32 mean[4], f32 std[4], u8 color, u8 mode, u32 label count, labels (u16 + bytes),
// then, only for a model with an image geometry (nestrt-convert --resize/--crop), u32
// resize_shorter, resize_height, resize_width, crop_height, crop_width (each <= 65536). A model
// without one sends the body as before, so older clients keep reading it; they refuse (trailing
// bytes) a model whose images they would otherwise size wrongly.
struct ModelInfo {
  std::vector<int64_t> input_dims, output_dims;
  float scale = 1.f;
  uint8_t channels = 0;
  float mean[4] = {0, 0, 0, 0};
  float std[4] = {1, 1, 1, 1};
  uint8_t color = 0;
  uint8_t mode = 0;
  std::vector<std::string> labels;
  uint32_t geometry[5] = {0, 0, 0, 0, 0};  // resize_shorter, resize_height, resize_width, crop_height, crop_width
};
std::vector<uint8_t> encode_model_info_result(const ModelInfo& info);
bool parse_model_info_result(std::span<const uint8_t> body, ModelInfo& info);

// Model names: 1..64 bytes of [A-Za-z0-9._-].
bool valid_model_name(const std::string& name);

}  // namespace nestrt::daemon::protocol
