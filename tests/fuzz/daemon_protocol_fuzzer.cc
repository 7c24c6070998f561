// Fuzzes the nestrtd wire codec as the daemon and the client library use it: a byte stream cut
// into reads of fuzzer-chosen sizes goes through FrameReader; every frame is parsed as a request
// (daemon side) and as a response with its body (client side). Oracle besides the sanitizers: a
// rejected frame always says why.
#include <cstdlib>
#include <vector>

#include "protocol.h"

namespace proto = nestrt::daemon::protocol;

namespace {

void require_reason(const proto::Error& error) {
  if (error && error.message.empty()) std::abort();
}

void parse_frame(const proto::Header& header, const std::vector<uint8_t>& payload) {
  proto::Error error;
  if (!proto::parse_request(header, payload, error)) require_reason(error);
  proto::Error response_error;
  const auto response = proto::parse_response(header, payload, response_error);
  if (!response) {
    require_reason(response_error);
    return;
  }
  proto::InferResult infer;
  proto::parse_infer_result(response->body, infer);
  proto::ModelInfo info;
  proto::parse_model_info_result(response->body, info);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size, as a socket would split the stream.
  const size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  proto::FrameReader reader(1u << 20);
  proto::Header header;
  std::vector<uint8_t> payload;
  for (size_t at = 0; at < size;) {
    const size_t n = std::min(chunk, size - at);
    reader.append(data + at, n);
    at += n;
    for (;;) {
      proto::Error error;
      const auto result = reader.next(header, payload, error);
      if (result == proto::FrameReader::Result::kNeedMore) break;
      if (result == proto::FrameReader::Result::kError) {
        require_reason(error);
        return 0;  // the daemon closes the connection here
      }
      parse_frame(header, payload);
    }
  }
  return 0;
}
