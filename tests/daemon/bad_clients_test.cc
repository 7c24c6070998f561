// Misbehaving clients: each gets a clear error or is dropped, and the daemon keeps serving the
// others correctly. Also 1,000 connections at once and the max_clients limit.
#include <sys/resource.h>

#include "test_daemon.h"

namespace nestrt::daemon::testing {
namespace {

namespace p = protocol;

// A well-behaved request on a fresh connection: the daemon still serves, and correctly.
void expect_still_serving(TestDaemon& d, const Reference& ref) {
  RawClient good(d.socket());
  ASSERT_TRUE(good.send(p::encode_infer(7, "fashion", kInputDims, ref.input[1])));
  auto r = good.receive();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->code, p::Code::kOk) << r->message;
  p::InferResult result;
  ASSERT_TRUE(p::parse_infer_result(r->body, result));
  EXPECT_TRUE(ref.matches(static_cast<nestrt_mode>(result.mode), 1, result.data.data()));
}

TEST(BadClientsTest, EachGetsAnErrorOrIsDroppedAndOthersAreServed) {
  const Reference ref;
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);

  {  // Garbage (an HTTP request): bad-frame error, then the connection is closed.
    RawClient c(d.socket());
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(c.send(http.data(), http.size()));
    auto r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, static_cast<uint8_t>(p::Type::kError));
    EXPECT_EQ(r->code, p::Code::kBadFrame);
    EXPECT_NE(r->message.find("bad magic"), std::string::npos) << r->message;
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // Wrong length: a header announcing more than max_frame_bytes.
    RawClient c(d.socket());
    auto frame = p::encode_status(1);
    const uint32_t huge = 1u << 30;
    std::memcpy(frame.data() + 12, &huge, 4);
    ASSERT_TRUE(c.send(frame));
    auto r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kTooLarge) << r->message;
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // Wrong protocol version.
    RawClient c(d.socket());
    auto frame = p::encode_status(1);
    frame[4] = 9;
    ASSERT_TRUE(c.send(frame));
    auto r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kBadVersion);
  }
  {  // Framing intact but the payload lies (element count vs dims): error, connection stays usable.
    RawClient c(d.socket());
    auto frame = p::encode_infer(3, "fashion", std::vector<int64_t>{1, 1, 28, 28}, ref.input[0]);
    const uint32_t wrong_count = 10;
    std::memcpy(frame.data() + p::kHeaderBytes + 1 + 7 + 1 + 32, &wrong_count, 4);
    ASSERT_TRUE(c.send(frame));
    auto r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, 3u);
    EXPECT_EQ(r->code, p::Code::kBadFrame);
    ASSERT_TRUE(c.send(p::encode_status(4)));
    r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kOk);
  }
  {  // Wrong shape and unknown model: errors naming the problem, connection stays usable.
    RawClient c(d.socket());
    std::vector<float> small(28 * 27, 0.f);
    ASSERT_TRUE(c.send(p::encode_infer(5, "fashion", std::vector<int64_t>{1, 1, 28, 27}, small)));
    auto r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kWrongShape);
    EXPECT_NE(r->message.find("takes 1x1x28x28, got 1x1x28x27"), std::string::npos) << r->message;
    ASSERT_TRUE(c.send(p::encode_infer(6, "mnist", kInputDims, ref.input[0])));
    r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kUnknownModel);
    ASSERT_TRUE(c.send(p::encode_frame(42, 8, {})));  // unknown request type
    r = c.receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, p::Code::kUnknownType);
  }
  {  // Truncated frames: half a header, half a payload, then the client vanishes.
    for (size_t cut : {size_t{7}, p::kHeaderBytes + 100}) {
      RawClient c(d.socket());
      const auto frame = p::encode_infer(1, "fashion", kInputDims, ref.input[0]);
      ASSERT_TRUE(c.send(frame.data(), cut));
      c.close();
    }
  }
  // Clients that vanish mid-request (the response has nowhere to go).
  for (int i = 0; i < 50; ++i) {
    RawClient c(d.socket());
    ASSERT_TRUE(c.send(p::encode_infer(1, "fashion", kInputDims, ref.input[i % 4])));
  }
  expect_still_serving(d, ref);
  ASSERT_TRUE(wait_until([&] { return d->connections() == 0; })) << d->connections() << " connections left";
}

TEST(BadClientsTest, StalledMidFrameClientIsDroppedAfterTheIdleTimeout) {
  const Reference ref;
  FakeTree tree;
  tree.calm();
  DaemonOptions o;
  o.idle_timeout_ms = 300;
  TestDaemon d(tree, o);
  RawClient slow(d.socket());
  const auto frame = p::encode_infer(1, "fashion", kInputDims, ref.input[0]);
  ASSERT_TRUE(slow.send(frame.data(), 40));  // and then nothing
  EXPECT_TRUE(slow.closed_by_peer());
  expect_still_serving(d, ref);
}

TEST(BadClientsTest, ConnectionsBeyondMaxClientsGetBusy) {
  const Reference ref;
  FakeTree tree;
  tree.calm();
  DaemonOptions o;
  o.max_clients = 3;
  TestDaemon d(tree, o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawClient>(d.socket()));
  ASSERT_TRUE(wait_until([&] { return d->connections() == 3; }));
  RawClient extra(d.socket());
  auto r = extra.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, p::Code::kBusy);
  EXPECT_NE(r->message.find("max_clients"), std::string::npos);
  EXPECT_TRUE(extra.closed_by_peer());
  held.pop_back();  // a slot frees up
  ASSERT_TRUE(wait_until([&] { return d->connections() == 2; }));
  expect_still_serving(d, ref);
}

TEST(BadClientsTest, AThousandConnectionsAtOnceAreAllServed) {
  constexpr size_t kConnections = 1000;
  rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  const rlim_t need = 2 * kConnections + 64;  // both ends live in this process
  if (rl.rlim_cur < need) {
    if (rl.rlim_max < need) {
      GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << rl.rlim_max << " is below the " << need
                   << " descriptors this test needs (both ends of 1000 connections in one process)";
    }
    rl.rlim_cur = need;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  const Reference ref;
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);
  std::vector<std::unique_ptr<RawClient>> conns;
  for (size_t i = 0; i < kConnections; ++i) conns.push_back(std::make_unique<RawClient>(d.socket()));
  // Every tenth connection runs an inference, the others ask for model info (also served by the
  // workers, but cheap: under qemu 1,000 inferences would take minutes).
  auto request = [&](size_t i) {
    return i % 10 == 0 ? p::encode_infer(uint32_t(i), "fashion", kInputDims, ref.input[i % 4])
                       : p::encode_model_info(uint32_t(i), "fashion");
  };
  auto check = [&](size_t i, const p::Response& r) {
    if (i % 10 != 0) {
      p::ModelInfo info;
      return p::parse_model_info_result(r.body, info) && info.input_dims == kInputDims;
    }
    p::InferResult result;
    return p::parse_infer_result(r.body, result) &&
           ref.matches(static_cast<nestrt_mode>(result.mode), i % 4, result.data.data());
  };
  // All send before any reads: the queue (256) overflows and the overflow gets `busy`.
  for (size_t i = 0; i < kConnections; ++i) ASSERT_TRUE(conns[i]->send(request(i)));
  size_t ok = 0, busy = 0;
  std::vector<size_t> retry;
  for (size_t i = 0; i < kConnections; ++i) {
    auto r = conns[i]->receive();
    ASSERT_TRUE(r) << "connection " << i << " got no response";
    if (r->code == p::Code::kBusy) {
      ++busy;
      retry.push_back(i);
      continue;
    }
    ASSERT_EQ(r->code, p::Code::kOk) << r->message;
    ASSERT_EQ(r->id, uint32_t(i));
    ASSERT_TRUE(check(i, *r)) << "connection " << i;
    ++ok;
  }
  // `busy` means retry: one at a time, every retry succeeds.
  for (size_t i : retry) {
    ASSERT_TRUE(conns[i]->send(request(i)));
    auto r = conns[i]->receive();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->code, p::Code::kOk) << r->message;
    ASSERT_TRUE(check(i, *r)) << "connection " << i;
    ++ok;
  }
  EXPECT_EQ(ok, kConnections);
  std::printf("1000 connections: %zu served at once, %zu told busy then served on retry\n", kConnections - busy, busy);
  conns.clear();
  ASSERT_TRUE(wait_until([&] { return d->connections() == 0; }));
  expect_still_serving(d, ref);
}

}  // namespace
}  // namespace nestrt::daemon::testing
