// nestrtd's TOML config: the shipped sample parses, and mistakes are errors that name the place.
#include <gtest/gtest.h>

#include "config.h"

namespace nestrt::daemon {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kModel = "[[model]]\nname = \"m\"\npath = \"/x.nest\"\n";

TEST(ConfigTest, ShippedSampleParses) {
  const Config c = load_config(NESTRTD_SAMPLE_CONFIG);
  EXPECT_EQ(c.server.socket, "/run/nestrtd/nestrtd.sock");
  EXPECT_EQ(c.server.socket_mode, 0660u);
  EXPECT_EQ(c.governor.poll_ms, 1000u);
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].name, "fashion");
  // The sample spells out the defaults: it must agree with them.
  const auto defaults = GovernorConfig::default_signals();
  for (size_t i = 0; i < kSignalCount; ++i) {
    EXPECT_EQ(c.governor.signals[i].enter, defaults[i].enter) << signal_name(static_cast<SignalId>(i));
    EXPECT_EQ(c.governor.signals[i].exit, defaults[i].exit) << signal_name(static_cast<SignalId>(i));
    EXPECT_EQ(c.governor.signals[i].priority, defaults[i].priority) << signal_name(static_cast<SignalId>(i));
  }
}

TEST(ConfigTest, ValuesAreRead) {
  const Config c = parse_config(std::string("[server]\nsocket = \"/tmp/s\"\nsocket_mode = 0o600\nworkers = 3\n"
                                            "[governor]\npoll_ms = 50\ninitial_mode = \"part\"\n"
                                            "[governor.thermal_c]\nenter = 70\nexit = 60\npriority = 9\n") +
                                    kModel + "governed = false\n",
                                "t.toml");
  EXPECT_EQ(c.server.socket, "/tmp/s");
  EXPECT_EQ(c.server.socket_mode, 0600u);
  EXPECT_EQ(c.server.workers, 3u);
  EXPECT_EQ(c.governor.poll_ms, 50u);
  EXPECT_EQ(c.initial_mode, NESTRT_MODE_PART);
  const SignalConfig& t = c.governor.signals[static_cast<size_t>(SignalId::kThermal)];
  EXPECT_EQ(t.enter, 70);
  EXPECT_EQ(t.exit, 60);
  EXPECT_EQ(t.priority, 9);
  EXPECT_FALSE(c.models[0].governed);
}

TEST(ConfigTest, MistakesNameTheKeyAndLine) {
  EXPECT_EQ(error_of(std::string("[server]\nsokcet = \"/tmp/s\"\n") + kModel),
            "t.toml:2:10: unknown key 'sokcet' in [server]");
  EXPECT_NE(error_of(std::string("[server]\nworkers = 0\n") + kModel).find("server.workers must be 1..64"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("[server]\nworkers = -1\n") + kModel).find("out of range"), std::string::npos);
  EXPECT_NE(error_of(std::string("[server]\nsocket_mode = \"0x9\"\n") + kModel).find("octal"), std::string::npos);
  EXPECT_NE(error_of(std::string("[governor]\npoll_ms = \"fast\"\n") + kModel).find("must be an integer"),
            std::string::npos);
  // Hysteresis needs exit on the clear side of enter.
  EXPECT_NE(error_of(std::string("[governor.thermal_c]\nenter = 70\nexit = 75\n") + kModel).find("exit <= enter"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("[governor.battery_pct]\nenter = 20\nexit = 10\n") + kModel).find("exit >= enter"),
            std::string::npos);
  EXPECT_NE(error_of(std::string("[governor.fan]\nenter = 1\n") + kModel).find("unknown key 'fan'"), std::string::npos);
  EXPECT_NE(error_of("[server]\n").find("no [[model]]"), std::string::npos);
  EXPECT_NE(error_of(std::string(kModel) + kModel).find("given twice"), std::string::npos);
  EXPECT_NE(error_of("[[model]]\nname = \"a b\"\npath = \"/x\"\n").find("model.name"), std::string::npos);
  EXPECT_NE(error_of("[[model]]\nname = \"a\"\n").find("needs a path"), std::string::npos);
  EXPECT_NE(error_of("[server\n").find("t.toml:1:"), std::string::npos);  // TOML syntax error with position
}

}  // namespace
}  // namespace nestrt::daemon
