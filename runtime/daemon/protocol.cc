#include "protocol.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace nestrt::daemon::protocol {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kBadFrame: return "bad-frame";
    case Code::kBadVersion: return "bad-version";
    case Code::kUnknownType: return "unknown-type";
    case Code::kUnknownModel: return "unknown-model";
    case Code::kWrongShape: return "wrong-shape";
    case Code::kTooLarge: return "too-large";
    case Code::kBusy: return "busy";
    case Code::kInternal: return "internal";
    case Code::kShuttingDown: return "shutting-down";
    case Code::kBadRequest: return "bad-request";
  }
  return "unknown-code";
}

bool valid_model_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Header decode_header(const uint8_t* b) {
  Header h;
  h.version = b[4];
  h.type = b[5];
  std::memcpy(&h.flags, b + 6, 2);
  std::memcpy(&h.id, b + 8, 4);
  std::memcpy(&h.length, b + 12, 4);
  return h;
}

Error validate_header(const uint8_t* bytes, uint32_t max_payload) {
  if (std::memcmp(bytes, kMagic, 4) != 0) return {Code::kBadFrame, "bad magic (expected \"NRTD\")"};
  const Header h = decode_header(bytes);
  if (h.version != kVersion) {
    return {Code::kBadVersion,
            "protocol version " + std::to_string(h.version) + " not supported (this daemon speaks 1)"};
  }
  if (h.flags != 0) return {Code::kBadFrame, "nonzero flags " + std::to_string(h.flags)};
  if (h.length > max_payload) {
    return {Code::kTooLarge,
            "payload of " + std::to_string(h.length) + " bytes above the limit of " + std::to_string(max_payload)};
  }
  return {};
}

// Out of line: inlined into callers, GCC 12 reports a false -Wstringop-overflow in vector::insert.
void FrameReader::append(const uint8_t* bytes, size_t count) {
  buffer_.insert(buffer_.end(), bytes, bytes + count);
}

FrameReader::Result FrameReader::next(Header& header, std::vector<uint8_t>& payload, Error& error) {
  if (buffered() < kHeaderBytes) return Result::kNeedMore;
  const uint8_t* head = buffer_.data() + start_;
  error = validate_header(head, max_payload_);
  if (error) return Result::kError;
  header = decode_header(head);
  if (buffered() < kHeaderBytes + header.length) return Result::kNeedMore;
  payload.assign(head + kHeaderBytes, head + kHeaderBytes + header.length);
  start_ += kHeaderBytes + header.length;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > (1u << 16)) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  return Result::kFrame;
}

void Writer::raw(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  bytes_.insert(bytes_.end(), b, b + n);
}
void Writer::str8(const std::string& s) {
  u8(static_cast<uint8_t>(s.size()));
  raw(s.data(), s.size());
}
void Writer::str16(const std::string& s) {
  u16(static_cast<uint16_t>(s.size()));
  raw(s.data(), s.size());
}

bool Reader::raw(void* p, size_t n) {
  if (remaining() < n) return false;
  if (n) std::memcpy(p, bytes_.data() + at_, n);
  at_ += n;
  return true;
}
bool Reader::str8(std::string& s) {
  uint8_t n;
  if (!u8(n) || remaining() < n) return false;
  s.assign(reinterpret_cast<const char*>(bytes_.data() + at_), n);
  at_ += n;
  return true;
}
bool Reader::str16(std::string& s) {
  uint16_t n;
  if (!u16(n) || remaining() < n) return false;
  s.assign(reinterpret_cast<const char*>(bytes_.data() + at_), n);
  at_ += n;
  return true;
}

namespace {

bool read_dims(Reader& r, std::vector<int64_t>& dims, uint64_t& elements, Error& error) {
  uint8_t rank;
  if (!r.u8(rank)) return error = {Code::kBadFrame, "truncated: rank missing"}, false;
  if (rank == 0 || rank > kMaxRank) {
    return error = {Code::kBadFrame, "rank " + std::to_string(rank) + " outside 1.." + std::to_string(kMaxRank)}, false;
  }
  dims.resize(rank);
  elements = 1;
  for (auto& d : dims) {
    if (!r.i64(d)) return error = {Code::kBadFrame, "truncated: dims"}, false;
    if (d < 1 || d > kMaxDim)
      return error = {Code::kBadFrame, "dimension " + std::to_string(d) + " out of range"}, false;
    elements *= static_cast<uint64_t>(d);
    if (elements > kMaxPayloadLimit) return error = {Code::kTooLarge, "tensor too large"}, false;
  }
  return true;
}

bool read_name(Reader& r, std::string& name, Error& error) {
  if (!r.str8(name)) return error = {Code::kBadFrame, "truncated: model name"}, false;
  if (!valid_model_name(name)) {
    return error = {Code::kBadFrame, "model name must be 1..64 characters of [A-Za-z0-9._-]"}, false;
  }
  return true;
}

bool expect_end(const Reader& r, Error& error) {
  if (r.remaining() != 0) {
    error = {Code::kBadFrame, std::to_string(r.remaining()) + " trailing bytes after the request"};
    return false;
  }
  return true;
}

}  // namespace

std::optional<Request> parse_request(const Header& header, std::span<const uint8_t> payload, Error& error) {
  error = {};
  Request req;
  req.id = header.id;
  Reader r(payload);
  if (payload.size() != header.length) {
    error = {Code::kBadFrame, "payload length differs from the header"};
    return std::nullopt;
  }
  switch (static_cast<Type>(header.type)) {
    case Type::kStatus:
      req.type = Type::kStatus;
      req.body = StatusRequest{};
      break;
    case Type::kInfer: {
      req.type = Type::kInfer;
      InferRequest body;
      uint64_t elements = 0;
      if (!read_name(r, body.model, error) || !read_dims(r, body.dims, elements, error)) return std::nullopt;
      uint32_t count;
      if (!r.u32(count)) return error = {Code::kBadFrame, "truncated: element count"}, std::nullopt;
      if (count != elements) {
        error = {Code::kBadFrame, "element count " + std::to_string(count) + " differs from the product of dims " +
                                      std::to_string(elements)};
        return std::nullopt;
      }
      if (r.remaining() != uint64_t{count} * 4) {
        error = {Code::kBadFrame, "tensor data is " + std::to_string(r.remaining()) + " bytes, expected " +
                                      std::to_string(uint64_t{count} * 4)};
        return std::nullopt;
      }
      body.data.resize(count);
      r.raw(body.data.data(), uint64_t{count} * 4);
      req.body = std::move(body);
      break;
    }
    case Type::kSwitch: {
      req.type = Type::kSwitch;
      SwitchRequest body;
      if (!r.u8(body.mode)) return error = {Code::kBadFrame, "truncated: mode"}, std::nullopt;
      if (body.mode > 1) return error = {Code::kBadRequest, "mode must be 0 (full) or 1 (part)"}, std::nullopt;
      req.body = body;
      break;
    }
    case Type::kPolicy: {
      req.type = Type::kPolicy;
      uint8_t on;
      if (!r.u8(on)) return error = {Code::kBadFrame, "truncated: policy flag"}, std::nullopt;
      if (on > 1) return error = {Code::kBadRequest, "policy flag must be 0 (off) or 1 (on)"}, std::nullopt;
      req.body = PolicyRequest{on == 1};
      break;
    }
    case Type::kModelInfo: {
      req.type = Type::kModelInfo;
      ModelInfoRequest body;
      if (!read_name(r, body.model, error)) return std::nullopt;
      req.body = std::move(body);
      break;
    }
    case Type::kBudget: {
      req.type = Type::kBudget;
      BudgetRequest body;
      if (!r.u64(body.bytes)) return error = {Code::kBadFrame, "truncated: budget bytes"}, std::nullopt;
      req.body = body;
      break;
    }
    case Type::kError:
    default: error = {Code::kUnknownType, "unknown request type " + std::to_string(header.type)}; return std::nullopt;
  }
  if (!expect_end(r, error)) return std::nullopt;
  return req;
}

std::vector<uint8_t> encode_frame(uint8_t type, uint32_t id, std::span<const uint8_t> payload) {
  Writer w;
  w.raw(kMagic, 4);
  w.u8(kVersion);
  w.u8(type);
  w.u16(0);
  w.u32(id);
  w.u32(static_cast<uint32_t>(payload.size()));
  w.raw(payload.data(), payload.size());
  return std::move(w.bytes());
}

std::vector<uint8_t> encode_infer(uint32_t id, const std::string& model, std::span<const int64_t> dims,
                                  std::span<const float> data) {
  Writer w;
  w.str8(model);
  w.u8(static_cast<uint8_t>(dims.size()));
  for (int64_t d : dims) w.i64(d);
  w.u32(static_cast<uint32_t>(data.size()));
  w.raw(data.data(), data.size() * 4);
  return encode_frame(static_cast<uint8_t>(Type::kInfer), id, w.bytes());
}
std::vector<uint8_t> encode_status(uint32_t id) {
  return encode_frame(static_cast<uint8_t>(Type::kStatus), id, {});
}
std::vector<uint8_t> encode_switch(uint32_t id, uint8_t mode) {
  return encode_frame(static_cast<uint8_t>(Type::kSwitch), id, std::span<const uint8_t>(&mode, 1));
}
std::vector<uint8_t> encode_policy(uint32_t id, bool enabled) {
  const uint8_t on = enabled ? 1 : 0;
  return encode_frame(static_cast<uint8_t>(Type::kPolicy), id, std::span<const uint8_t>(&on, 1));
}
std::vector<uint8_t> encode_model_info(uint32_t id, const std::string& model) {
  Writer w;
  w.str8(model);
  return encode_frame(static_cast<uint8_t>(Type::kModelInfo), id, w.bytes());
}

std::vector<uint8_t> encode_budget(uint32_t id, uint64_t bytes) {
  Writer w;
  w.u64(bytes);
  return encode_frame(static_cast<uint8_t>(Type::kBudget), id, w.bytes());
}

std::vector<uint8_t> encode_response(uint8_t type, uint32_t id, Code code, const std::string& message,
                                     std::span<const uint8_t> body) {
  Writer w;
  w.u16(static_cast<uint16_t>(code));
  w.str16(message.size() > 4096 ? message.substr(0, 4096) : message);
  w.raw(body.data(), body.size());
  return encode_frame(type, id, w.bytes());
}

std::optional<Response> parse_response(const Header& header, std::span<const uint8_t> payload, Error& error) {
  Response resp;
  resp.type = header.type;
  resp.id = header.id;
  Reader r(payload);
  uint16_t code;
  if (!r.u16(code) || !r.str16(resp.message)) {
    error = {Code::kBadFrame, "truncated response"};
    return std::nullopt;
  }
  resp.code = static_cast<Code>(code);
  resp.body.assign(payload.end() - static_cast<std::ptrdiff_t>(r.remaining()), payload.end());
  return resp;
}

std::vector<uint8_t> encode_infer_result(const InferResult& result) {
  Writer w;
  w.u8(result.mode);
  w.u8(static_cast<uint8_t>(result.dims.size()));
  for (int64_t d : result.dims) w.i64(d);
  w.u32(static_cast<uint32_t>(result.data.size()));
  w.raw(result.data.data(), result.data.size() * 4);
  return std::move(w.bytes());
}

bool parse_infer_result(std::span<const uint8_t> body, InferResult& result) {
  Reader r(body);
  Error error;
  uint64_t elements = 0;
  uint32_t count;
  if (!r.u8(result.mode) || !read_dims(r, result.dims, elements, error) || !r.u32(count)) return false;
  if (count != elements || r.remaining() != uint64_t{count} * 4) return false;
  result.data.resize(count);
  return r.raw(result.data.data(), uint64_t{count} * 4);
}

std::vector<uint8_t> encode_model_info_result(const ModelInfo& info) {
  Writer w;
  for (const auto* dims : {&info.input_dims, &info.output_dims}) {
    w.u8(static_cast<uint8_t>(dims->size()));
    for (int64_t d : *dims) w.i64(d);
  }
  w.f32(info.scale);
  w.u8(info.channels);
  for (float m : info.mean) w.f32(m);
  for (float s : info.std) w.f32(s);
  w.u8(info.color);
  w.u8(info.mode);
  w.u32(static_cast<uint32_t>(info.labels.size()));
  for (const auto& l : info.labels) w.str16(l.size() > 1024 ? l.substr(0, 1024) : l);
  if (std::any_of(std::begin(info.geometry), std::end(info.geometry), [](uint32_t g) { return g != 0; })) {
    for (uint32_t g : info.geometry) w.u32(g);
  }
  return std::move(w.bytes());
}

bool parse_model_info_result(std::span<const uint8_t> body, ModelInfo& info) {
  Reader r(body);
  Error error;
  uint64_t elements = 0;
  if (!read_dims(r, info.input_dims, elements, error) || !read_dims(r, info.output_dims, elements, error)) return false;
  if (!r.f32(info.scale) || !r.u8(info.channels) || info.channels > 4) return false;
  for (float& m : info.mean)
    if (!r.f32(m)) return false;
  for (float& s : info.std)
    if (!r.f32(s)) return false;
  uint32_t labels;
  if (!r.u8(info.color) || !r.u8(info.mode) || !r.u32(labels) || labels > r.remaining() / 2) return false;
  info.labels.resize(labels);
  for (auto& l : info.labels)
    if (!r.str16(l)) return false;
  for (uint32_t& g : info.geometry) g = 0;
  if (r.remaining() == 0) return true;  // no image geometry: resize straight to the input size
  for (uint32_t& g : info.geometry)
    if (!r.u32(g) || g > (1u << 16)) return false;
  return r.remaining() == 0;
}

}  // namespace nestrt::daemon::protocol
