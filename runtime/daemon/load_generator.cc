// nestrtd-load: drives a running nestrtd with N clients for a fixed time and reports throughput
// and latency percentiles, optionally under a switch storm (a `ctl switch` every --storm-ms).
// Used by scripts/bench-daemon.sh; not installed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "nestrt/nestrt_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string socket;
  std::string model;
  unsigned clients = 4;
  double seconds = 5;
  unsigned storm_ms = 0;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int run(const Options& o) {
  nestrt_client* probe = nullptr;
  if (nestrt_client_connect(o.socket.c_str(), 10000, &probe) != NESTRT_CLIENT_OK) {
    std::fprintf(stderr, "nestrtd-load: cannot connect to %s\n", o.socket.c_str());
    return 1;
  }
  nestrt_client_model_info info;
  if (nestrt_client_model_info_get(probe, o.model.c_str(), &info) != NESTRT_CLIENT_OK) {
    std::fprintf(stderr, "nestrtd-load: model '%s': %s\n", o.model.c_str(), nestrt_client_message(probe));
    nestrt_client_close(probe);
    return 1;
  }
  size_t in_count = 1, out_count = 1;
  for (size_t i = 0; i < info.input_rank; ++i) in_count *= static_cast<size_t>(info.input_dims[i]);
  for (size_t i = 0; i < info.output_rank; ++i) out_count *= static_cast<size_t>(info.output_dims[i]);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failed{0}, switches{0}, in_mode[2] = {0, 0};
  std::mutex latencies_mutex;
  std::vector<double> latencies_ms;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> input(in_count), output(out_count);
      std::mt19937 rng(t + 1);
      std::uniform_real_distribution<float> dist(-1.f, 2.f);
      for (float& v : input) v = dist(rng);
      std::vector<double> mine;
      nestrt_client* c = nullptr;
      if (nestrt_client_connect(o.socket.c_str(), 30000, &c) != NESTRT_CLIENT_OK) return void(++failed);
      while (!stop.load()) {
        size_t got = 0;
        nestrt_mode used;
        const auto start = Clock::now();
        const auto s = nestrt_client_infer(c, o.model.c_str(), info.input_dims, info.input_rank, input.data(),
                                           input.size(), output.data(), output.size(), &got, &used);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (s != NESTRT_CLIENT_OK) {
          ++failed;
          std::fprintf(stderr, "nestrtd-load: request failed: %s: %s\n", nestrt_client_status_string(s),
                       nestrt_client_message(c));
          if (s >= NESTRT_CLIENT_CONNECT_FAILED) break;  // the connection is gone
          continue;
        }
        ++in_mode[used == NESTRT_MODE_PART ? 1 : 0];
        mine.push_back(ms);
      }
      nestrt_client_close(c);
      std::lock_guard lock(latencies_mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  std::thread storm;
  if (o.storm_ms) {
    storm = std::thread([&] {
      nestrt_mode next = NESTRT_MODE_PART;
      auto due = Clock::now();
      while (!stop.load()) {
        due += std::chrono::milliseconds(o.storm_ms);
        if (nestrt_client_switch(probe, next) != NESTRT_CLIENT_OK) {
          std::fprintf(stderr, "nestrtd-load: switch failed: %s\n", nestrt_client_message(probe));
        } else {
          ++switches;
        }
        next = next == NESTRT_MODE_PART ? NESTRT_MODE_FULL : NESTRT_MODE_PART;
        std::this_thread::sleep_until(due);
      }
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  if (storm.joinable()) storm.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  nestrt_client_close(probe);  // a storm leaves the mode pinned: `nestrt ctl policy on` hands it back

  const double p50 = percentile(latencies_ms, 50), p99 = percentile(latencies_ms, 99);
  std::printf("RESULT requests=%zu failed=%llu rps=%.1f p50_ms=%.3f p99_ms=%.3f full=%llu part=%llu switches=%llu\n",
              latencies_ms.size(), static_cast<unsigned long long>(failed.load()),
              static_cast<double>(latencies_ms.size()) / elapsed, p50, p99,
              static_cast<unsigned long long>(in_mode[0].load()), static_cast<unsigned long long>(in_mode[1].load()),
              static_cast<unsigned long long>(switches.load()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nestrtd-load: throughput and latency of a running nestrtd (scripts/bench-daemon.sh)"};
  Options o;
  app.add_option("-s,--socket", o.socket, "The daemon's Unix socket")->required();
  app.add_option("-m,--model", o.model, "Model name from the daemon's config")->required();
  app.add_option("-c,--clients", o.clients, "Concurrent client connections")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  app.add_option("-t,--seconds", o.seconds, "Duration")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--storm-ms", o.storm_ms, "Also switch full<->part every this many ms (0: no storm)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return run(o);
}
