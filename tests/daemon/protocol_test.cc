// The wire codec alone (no sockets): round trips, and every malformed frame gets a precise error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "protocol.h"

namespace nestrt::daemon::protocol {
namespace {

std::optional<Request> parse_frame(const std::vector<uint8_t>& frame, Error& error) {
  const Header h = decode_header(frame.data());
  return parse_request(h, std::span(frame).subspan(kHeaderBytes), error);
}

TEST(ProtocolTest, InferRequestRoundTrips) {
  const std::vector<int64_t> dims{1, 1, 2, 3};
  const std::vector<float> data{1, -2, 3.5f, 4, 5, 6};
  const auto frame = encode_infer(42, "fashion", dims, data);
  ASSERT_EQ(frame.size(), kHeaderBytes + 1 + 7 + 1 + 4 * 8 + 4 + 6 * 4);
  EXPECT_EQ(0, std::memcmp(frame.data(), "NRTD", 4));
  EXPECT_FALSE(validate_header(frame.data(), kMaxPayloadLimit));
  Error error;
  const auto req = parse_frame(frame, error);
  ASSERT_TRUE(req) << error.message;
  EXPECT_EQ(req->id, 42u);
  EXPECT_EQ(req->type, Type::kInfer);
  const auto& body = std::get<InferRequest>(req->body);
  EXPECT_EQ(body.model, "fashion");
  EXPECT_EQ(body.dims, dims);
  EXPECT_EQ(body.data, data);
}

TEST(ProtocolTest, ControlRequestsRoundTrip) {
  Error error;
  auto sw = parse_frame(encode_switch(1, 1), error);
  ASSERT_TRUE(sw);
  EXPECT_EQ(std::get<SwitchRequest>(sw->body).mode, 1);
  auto pol = parse_frame(encode_policy(2, false), error);
  ASSERT_TRUE(pol);
  EXPECT_FALSE(std::get<PolicyRequest>(pol->body).enabled);
  auto budget = parse_frame(encode_budget(3, 123456789012ull), error);
  ASSERT_TRUE(budget);
  EXPECT_EQ(std::get<BudgetRequest>(budget->body).bytes, 123456789012ull);
  auto info = parse_frame(encode_model_info(4, "m-1.v2"), error);
  ASSERT_TRUE(info);
  EXPECT_EQ(std::get<ModelInfoRequest>(info->body).model, "m-1.v2");
  auto status = parse_frame(encode_status(5), error);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->type, Type::kStatus);
}

TEST(ProtocolTest, HeaderErrorsAreNamed) {
  auto frame = encode_status(1);
  frame[0] = 'X';
  EXPECT_EQ(validate_header(frame.data(), 1024).code, Code::kBadFrame);
  frame = encode_status(1);
  frame[4] = 2;
  const Error v = validate_header(frame.data(), 1024);
  EXPECT_EQ(v.code, Code::kBadVersion);
  EXPECT_NE(v.message.find("version 2"), std::string::npos);
  frame = encode_status(1);
  frame[6] = 1;
  EXPECT_EQ(validate_header(frame.data(), 1024).code, Code::kBadFrame);
  frame = encode_infer(1, "m", std::vector<int64_t>{1, 300}, std::vector<float>(300));
  EXPECT_EQ(validate_header(frame.data(), 1024).code, Code::kTooLarge);
}

TEST(ProtocolTest, MalformedPayloadsAreRejected) {
  Error error;
  // Element count disagreeing with the dims.
  auto frame = encode_infer(1, "m", std::vector<int64_t>{2, 2}, std::vector<float>(3));
  EXPECT_FALSE(parse_frame(frame, error));
  EXPECT_EQ(error.code, Code::kBadFrame);
  EXPECT_NE(error.message.find("differs from the product"), std::string::npos) << error.message;
  // Rank 0 and rank 9.
  EXPECT_FALSE(parse_frame(encode_infer(1, "m", std::vector<int64_t>{}, std::vector<float>{}), error));
  EXPECT_FALSE(parse_frame(encode_infer(1, "m", std::vector<int64_t>(9, 1), std::vector<float>(1)), error));
  // Negative dimension.
  EXPECT_FALSE(parse_frame(encode_infer(1, "m", std::vector<int64_t>{-1}, std::vector<float>{}), error));
  // Invalid model name.
  EXPECT_FALSE(parse_frame(encode_infer(1, "../etc", std::vector<int64_t>{1}, std::vector<float>(1)), error));
  EXPECT_NE(error.message.find("model name"), std::string::npos);
  // Bad switch mode is a bad request, not a bad frame.
  EXPECT_FALSE(parse_frame(encode_switch(1, 7), error));
  EXPECT_EQ(error.code, Code::kBadRequest);
  // Trailing bytes.
  auto status = encode_frame(static_cast<uint8_t>(Type::kStatus), 1, std::vector<uint8_t>{0});
  EXPECT_FALSE(parse_frame(status, error));
  EXPECT_NE(error.message.find("trailing"), std::string::npos);
  // Unknown type, and the reserved error type.
  EXPECT_FALSE(parse_frame(encode_frame(77, 1, {}), error));
  EXPECT_EQ(error.code, Code::kUnknownType);
  EXPECT_FALSE(parse_frame(encode_frame(0xFF, 1, {}), error));
  EXPECT_EQ(error.code, Code::kUnknownType);
  // Every truncation of a valid infer payload fails cleanly.
  frame = encode_infer(1, "model", std::vector<int64_t>{1, 4}, std::vector<float>(4, 1.f));
  for (size_t cut = kHeaderBytes; cut < frame.size(); ++cut) {
    std::vector<uint8_t> t(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(cut));
    uint32_t len = static_cast<uint32_t>(cut - kHeaderBytes);
    std::memcpy(t.data() + 12, &len, 4);
    EXPECT_FALSE(parse_frame(t, error)) << "cut at " << cut;
  }
}

TEST(ProtocolTest, RandomPayloadsNeverCrashAndMutatedFramesStayBounded) {
  std::mt19937 rng(7);
  Error error;
  size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    Header h;
    h.type = static_cast<uint8_t>(rng() % 8);
    std::vector<uint8_t> payload(rng() % 64);
    for (auto& b : payload) b = static_cast<uint8_t>(rng());
    h.length = static_cast<uint32_t>(payload.size());
    if (auto req = parse_request(h, payload, error)) {
      ++accepted;
      if (req->type == Type::kInfer) {  // anything accepted is self-consistent
        const auto& body = std::get<InferRequest>(req->body);
        uint64_t n = 1;
        for (int64_t d : body.dims) n *= static_cast<uint64_t>(d);
        EXPECT_EQ(n, body.data.size());
      }
    } else {
      EXPECT_NE(error.code, Code::kOk);
      EXPECT_FALSE(error.message.empty());
    }
  }
  EXPECT_GT(accepted, 0u);  // status (empty) and the one-byte requests do get through
  // Single-byte mutations of a valid infer frame: parsed or refused, never out of bounds (ASan).
  const auto frame = encode_infer(1, "model", std::vector<int64_t>{1, 2, 2}, std::vector<float>(4, 1.f));
  for (size_t at = kHeaderBytes; at < frame.size(); ++at) {
    auto m = frame;
    m[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    parse_frame(m, error);
  }
}

TEST(ProtocolTest, FrameReaderSplitsAByteStream) {
  std::vector<uint8_t> stream;
  for (uint32_t id = 1; id <= 3; ++id) {
    const auto f = encode_infer(id, "m", std::vector<int64_t>{1, 2}, std::vector<float>{float(id), 0});
    stream.insert(stream.end(), f.begin(), f.end());
  }
  FrameReader reader(1024);
  Header h;
  std::vector<uint8_t> payload;
  Error error;
  std::vector<uint32_t> ids;
  for (uint8_t b : stream) {  // one byte at a time: the worst fragmentation
    reader.append(&b, 1);
    while (reader.next(h, payload, error) == FrameReader::Result::kFrame) {
      ids.push_back(h.id);
      ASSERT_TRUE(parse_request(h, payload, error)) << error.message;
    }
  }
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(reader.buffered(), 0u);

  FrameReader bad(1024);
  const uint8_t garbage[16] = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'};
  bad.append(garbage, sizeof garbage);
  EXPECT_EQ(bad.next(h, payload, error), FrameReader::Result::kError);
  EXPECT_EQ(error.code, Code::kBadFrame);
}

TEST(ProtocolTest, ResponsesRoundTrip) {
  InferResult result{1, {1, 3}, {0.5f, -1.f, 2.f}};
  const auto frame = encode_response(0x81, 9, Code::kOk, "part", encode_infer_result(result));
  Error error;
  const auto r = parse_response(decode_header(frame.data()), std::span(frame).subspan(kHeaderBytes), error);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 9u);
  EXPECT_EQ(r->message, "part");
  InferResult back;
  ASSERT_TRUE(parse_infer_result(r->body, back));
  EXPECT_EQ(back.mode, 1);
  EXPECT_EQ(back.dims, result.dims);
  EXPECT_EQ(back.data, result.data);
  // A truncated result body is refused.
  EXPECT_FALSE(parse_infer_result(std::span(r->body).first(r->body.size() - 1), back));

  ModelInfo info;
  info.input_dims = {1, 1, 28, 28};
  info.output_dims = {1, 10};
  info.channels = 1;
  info.labels = {"a", "bb"};
  ModelInfo info_back;
  const std::vector<uint8_t> plain = encode_model_info_result(info);
  ASSERT_TRUE(parse_model_info_result(plain, info_back));
  EXPECT_EQ(info_back.input_dims, info.input_dims);
  EXPECT_EQ(info_back.labels, info.labels);
  EXPECT_EQ(info_back.geometry[0] + info_back.geometry[3], 0u);

  // An image geometry (--resize 32 --crop 28,28) is appended; without one the body is as before,
  // byte for byte, so older clients read it.
  info.geometry[0] = 32, info.geometry[3] = 28, info.geometry[4] = 28;
  const std::vector<uint8_t> with = encode_model_info_result(info);
  EXPECT_EQ(with.size(), plain.size() + 20);
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), with.begin()));
  ASSERT_TRUE(parse_model_info_result(with, info_back));
  EXPECT_EQ(std::vector<uint32_t>(info_back.geometry, info_back.geometry + 5),
            (std::vector<uint32_t>{32, 0, 0, 28, 28}));
  EXPECT_FALSE(parse_model_info_result(std::span(with).first(with.size() - 1), info_back));
  info.geometry[1] = 70000;  // beyond 2^16
  EXPECT_FALSE(parse_model_info_result(encode_model_info_result(info), info_back));
}

}  // namespace
}  // namespace nestrt::daemon::protocol
