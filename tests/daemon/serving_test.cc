// nestrtd serving real clients on the test model: switching under fake pressure while clients
// run, the ctl commands, SIGHUP reload and SIGTERM drain, and the socket's permissions.
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <mutex>

#include "log_capture.h"
#include "nestrt/nestrt_client.h"
#include "signals.h"
#include "test_daemon.h"

namespace nestrt::daemon::testing {
namespace {

constexpr nestrt_mode F = NESTRT_MODE_FULL, P = NESTRT_MODE_PART;

class Client {
 public:
  explicit Client(const std::string& socket) {
    if (nestrt_client_connect(socket.c_str(), kWaitMs, &c_) != NESTRT_CLIENT_OK) throw std::runtime_error("connect");
  }
  ~Client() { nestrt_client_close(c_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  operator nestrt_client*() const { return c_; }
  std::string status() {
    std::vector<char> text(1 << 16);
    if (nestrt_client_status_text(c_, text.data(), text.size()) != NESTRT_CLIENT_OK) return "";
    return text.data();
  }

 private:
  nestrt_client* c_ = nullptr;
};

TEST(ServingTest, SwitchesWithinOnePollWhileClientsRunAndEveryResponseMatchesItsMode) {
  const Reference ref;
  ASSERT_TRUE(ref.modes_differ()) << "full and part outputs must differ, or the per-mode check proves nothing";
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);
  ASSERT_TRUE(wait_until([&] { return d->polls() >= 1; }));
  ASSERT_EQ(d->mode(), F);

  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failures{0}, mismatches{0}, in_mode[2] = {0, 0};
  std::mutex errors_mutex;
  std::string first_error;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      Client c(d.socket());
      std::vector<float> out(10);
      for (size_t n = 0; !stop.load(); ++n) {
        const size_t i = (n + size_t(t)) % Reference::kInputs;
        size_t count = 0;
        nestrt_mode used;
        const auto s = nestrt_client_infer(c, "fashion", kInputDims.data(), 4, ref.input[i].data(), ref.input[i].size(),
                                           out.data(), out.size(), &count, &used);
        if (s != NESTRT_CLIENT_OK || count != 10) {
          ++failures;
          std::lock_guard lock(errors_mutex);
          if (first_error.empty())
            first_error = std::string(nestrt_client_status_string(s)) + ": " + nestrt_client_message(c);
          continue;
        }
        if (!ref.matches(used, i, out.data())) ++mismatches;
        ++in_mode[used];
      }
    });
  }
  auto served_in = [&](nestrt_mode m, uint64_t at_least) { return wait_until([&] { return in_mode[m] >= at_least; }); };
  ASSERT_TRUE(served_in(F, 20));

  // Pressure rises: the first poll that reads it switches to part.
  uint64_t polls_before = d->polls();
  tree.thermal_c(0, 95);
  ASSERT_TRUE(wait_until([&] { return d->mode() == P; }));
  // A poll already in progress may have read the old value; the one after it must switch.
  EXPECT_LE(d->last_switch_poll(), polls_before + 2) << "polls before: " << polls_before;
  const uint64_t part_before = in_mode[P];
  ASSERT_TRUE(served_in(P, part_before + 20));

  // Pressure clears: back to full, again within one poll.
  polls_before = d->polls();
  tree.thermal_c(0, 40);
  ASSERT_TRUE(wait_until([&] { return d->mode() == F; }));
  EXPECT_LE(d->last_switch_poll(), polls_before + 2) << "polls before: " << polls_before;
  ASSERT_TRUE(served_in(F, in_mode[F] + 20));

  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures.load(), 0u) << first_error;
  EXPECT_EQ(mismatches.load(), 0u) << "responses must equal the in-process output of the mode they report";
  EXPECT_EQ(d->switches(), 2u);
  EXPECT_EQ(d.stop(), 0);
}

TEST(ServingTest, CtlSwitchBudgetAndPolicy) {
  const Reference ref;
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);
  Client c(d.socket());

  ASSERT_EQ(nestrt_client_switch(c, P), NESTRT_CLIENT_OK) << nestrt_client_message(c);
  EXPECT_EQ(d->mode(), P);
  std::string status = c.status();
  EXPECT_NE(status.find("\nmode=part\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\npolicy=manual\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nmodel.fashion=mode:part input:1x1x28x28"), std::string::npos) << status;
  // The governor is paused: calm signals would otherwise bring full mode back.
  const uint64_t polls = d->polls();
  ASSERT_TRUE(wait_until([&] { return d->polls() >= polls + 3; }));
  EXPECT_EQ(d->mode(), P);
  std::vector<float> out(10);
  size_t count = 0;
  nestrt_mode used = F;
  ASSERT_EQ(nestrt_client_infer(c, "fashion", kInputDims.data(), 4, ref.input[0].data(), ref.input[0].size(),
                                out.data(), out.size(), &count, &used),
            NESTRT_CLIENT_OK);
  EXPECT_EQ(used, P);
  EXPECT_TRUE(ref.matches(P, 0, out.data()));

  ASSERT_EQ(nestrt_client_policy(c, 1), NESTRT_CLIENT_OK);
  ASSERT_TRUE(wait_until([&] { return d->mode() == F; }));  // calm: the governor returns to full

  // Budget: graded levels between full and part (just below full: the first level; at most the
  // part-mode bytes: part), full at or above the full-mode bytes; pins the mode.
  ASSERT_EQ(nestrt_client_budget(c, ref.full_weight_bytes - 1), NESTRT_CLIENT_OK);
  EXPECT_EQ(d->mode(), NESTRT_MODE_GRADED);
  EXPECT_NE(std::string(nestrt_client_message(c)).find("graded: budget"), std::string::npos)
      << nestrt_client_message(c);
  EXPECT_NE(std::string(nestrt_client_message(c)).find("(levels fashion:1/"), std::string::npos)
      << nestrt_client_message(c);
  ASSERT_EQ(nestrt_client_infer(c, "fashion", kInputDims.data(), 4, ref.input[0].data(), ref.input[0].size(),
                                out.data(), out.size(), &count, &used),
            NESTRT_CLIENT_OK);
  EXPECT_EQ(used, NESTRT_MODE_GRADED);
  ASSERT_EQ(nestrt_client_budget(c, ref.part_weight_bytes), NESTRT_CLIENT_OK);
  EXPECT_EQ(d->mode(), P);
  EXPECT_NE(std::string(nestrt_client_message(c)).find("part: budget"), std::string::npos) << nestrt_client_message(c);
  ASSERT_EQ(nestrt_client_budget(c, 1), NESTRT_CLIENT_OK);  // nothing fits: the smallest footprint
  EXPECT_EQ(d->mode(), P);
  ASSERT_EQ(nestrt_client_budget(c, ref.full_weight_bytes), NESTRT_CLIENT_OK);
  EXPECT_EQ(d->mode(), F);
  EXPECT_NE(c.status().find("\npolicy=manual\n"), std::string::npos);

  // Client-side argument checks never reach the daemon.
  EXPECT_EQ(nestrt_client_switch(c, static_cast<nestrt_mode>(7)), NESTRT_CLIENT_INVALID_ARGUMENT);
  EXPECT_EQ(nestrt_client_infer(c, "fashion", kInputDims.data(), 0, nullptr, 0, out.data(), 10, &count, nullptr),
            NESTRT_CLIENT_INVALID_ARGUMENT);
  // Too small an output buffer reports the size needed.
  EXPECT_EQ(nestrt_client_infer(c, "fashion", kInputDims.data(), 4, ref.input[0].data(), ref.input[0].size(),
                                out.data(), 3, &count, nullptr),
            NESTRT_CLIENT_BUFFER_TOO_SMALL);
  EXPECT_EQ(count, 10u);

  nestrt_client_model_info info;
  ASSERT_EQ(nestrt_client_model_info_get(c, "fashion", &info), NESTRT_CLIENT_OK);
  EXPECT_EQ(info.input_rank, 4u);
  EXPECT_EQ(info.input_dims[3], 28);
  EXPECT_EQ(info.output_dims[1], 10);
  EXPECT_EQ(info.label_count, 10u);
  ASSERT_NE(nestrt_client_label(c, 0), nullptr);
  EXPECT_EQ(nestrt_client_label(c, 10), nullptr);
  EXPECT_EQ(nestrt_client_model_info_get(c, "nope", &info), NESTRT_CLIENT_UNKNOWN_MODEL);
  EXPECT_NE(std::string(nestrt_client_message(c)).find("no model named 'nope'"), std::string::npos);
}

TEST(ServingTest, SighupReloadsWithoutDroppingClients) {
  LogCapture log;
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);
  install_signal_handlers(&*d);
  Client c(d.socket());
  nestrt_client_model_info info;
  ASSERT_EQ(nestrt_client_model_info_get(c, "copy", &info), NESTRT_CLIENT_UNKNOWN_MODEL);

  DaemonOptions more;
  more.extra_models = std::string("[[model]]\nname = \"copy\"\npath = \"") + NESTRT_TEST_MODEL + "\"\n";
  d.rewrite_config(d.config_text(more));
  ASSERT_EQ(raise(SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] { return log.count(LogLevel::kInfo, "reloaded") == 1; }));
  // The same connection sees the new model.
  ASSERT_EQ(nestrt_client_model_info_get(c, "copy", &info), NESTRT_CLIENT_OK) << nestrt_client_message(c);

  // A broken config is refused and the running one kept.
  d.rewrite_config("[server]\nworkers = \"many\"\n");
  ASSERT_EQ(raise(SIGHUP), 0);
  ASSERT_TRUE(wait_until([&] { return log.count(LogLevel::kError, "reload-failed") == 1; }));
  EXPECT_EQ(nestrt_client_model_info_get(c, "copy", &info), NESTRT_CLIENT_OK);
  EXPECT_EQ(nestrt_client_model_info_get(c, "fashion", &info), NESTRT_CLIENT_OK);
  install_signal_handlers(nullptr);
}

TEST(ServingTest, SigtermDrainsAcceptedRequestsThenExits) {
  const Reference ref;
  LogCapture log;
  FakeTree tree;
  tree.calm();
  DaemonOptions o;
  o.workers = 1;  // requests queue up behind one worker
  TestDaemon d(tree, o);
  install_signal_handlers(&*d);
  constexpr int kConnections = 6, kPipelined = 20;
  std::vector<std::unique_ptr<RawClient>> conns;
  for (int c = 0; c < kConnections; ++c) {
    conns.push_back(std::make_unique<RawClient>(d.socket()));
    std::vector<uint8_t> frames;
    for (uint32_t r = 0; r < kPipelined; ++r) {
      const auto f = protocol::encode_infer(r + 1, "fashion", kInputDims, ref.input[r % Reference::kInputs]);
      frames.insert(frames.end(), f.begin(), f.end());
    }
    ASSERT_TRUE(conns.back()->send(frames));
  }
  ASSERT_TRUE(wait_until([&] { return d->accepted() >= kConnections; }));
  ASSERT_EQ(raise(SIGTERM), 0);

  size_t ok = 0, refused = 0;
  for (auto& conn : conns) {
    bool refusing = false;
    for (uint32_t expected_id = 1;; ++expected_id) {
      auto r = conn->receive();
      if (!r) break;  // the daemon closed the connection after draining
      ASSERT_EQ(r->id, expected_id);
      if (r->code == protocol::Code::kOk) {
        ASSERT_FALSE(refusing) << "an accepted request after a refused one";
        protocol::InferResult result;
        ASSERT_TRUE(protocol::parse_infer_result(r->body, result));
        EXPECT_TRUE(ref.matches(static_cast<nestrt_mode>(result.mode), (expected_id - 1) % Reference::kInputs,
                                result.data.data()));
        ++ok;
      } else {
        ASSERT_EQ(r->code, protocol::Code::kShuttingDown) << r->message;
        refusing = true;
        ++refused;
      }
    }
  }
  EXPECT_EQ(d.join(), 0);
  EXPECT_GE(ok, size_t{kConnections});  // every connection had a request accepted before the signal
  EXPECT_EQ(log.count(LogLevel::kWarning, "drain timeout"), 0u);
  EXPECT_EQ(log.count(LogLevel::kInfo, "stopping: draining"), 1u);
  struct stat st;
  EXPECT_NE(stat(d.socket().c_str(), &st), 0) << "the socket file is removed on exit";
  install_signal_handlers(nullptr);
  std::printf("drain: %zu answered, %zu refused with shutting-down\n", ok, refused);
}

TEST(ServingTest, SocketIsGroupOnlyAndNotTakenOver) {
  FakeTree tree;
  tree.calm();
  TestDaemon d(tree);
  struct stat st;
  ASSERT_EQ(stat(d.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // A second daemon on a live socket refuses to start.
  try {
    Daemon second(load_config(tree.path("nestrtd.toml")), tree.path("nestrtd.toml"));
    ADD_FAILURE() << "second daemon started on a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another daemon is serving"), std::string::npos) << e.what();
  }
  EXPECT_EQ(d.stop(), 0);
  // A stale socket file (crashed daemon) is replaced.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, d.socket().c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  TestDaemon again(tree);
  Client c(again.socket());
  EXPECT_NE(c.status().find("mode=full"), std::string::npos);
}

}  // namespace
}  // namespace nestrt::daemon::testing
