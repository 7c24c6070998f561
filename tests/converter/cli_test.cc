// nestrt-convert as a user runs it: exit codes 0 / 1 / 2 and messages.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::TempDir;

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

CommandResult run_convert(const std::string& arguments) {
  const std::string command = std::string(NESTRT_CONVERT_EXE) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::tiny_cnn().save(dir_.file("tiny.onnx"));
    testing::write_npy(dir_.file("calib.npy"), {8, 1, 8, 8}, testing::random_floats(512, 3, 0.0f, 1.0f));
  }
  std::string common() const {
    return dir_.file("tiny.onnx") + " -o " + dir_.file("out.nest") + " --calib " + dir_.file("calib.npy");
  }
  TempDir dir_;
};

TEST_F(Cli, HelpAndSuccess) {
  const CommandResult help = run_convert("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--calib-count"), std::string::npos);

  const CommandResult ok = run_convert(common() + " --nest 8:5 --calib-count 4 --report " + dir_.file("report.json"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("stem_conv"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("total: file"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("calibrating: 4/4 samples"), std::string::npos) << ok.output;  // not a TTY: lines
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out.nest")));
  std::ifstream report(dir_.file("report.json"));
  const std::string json((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"high_bits\": 5"), std::string::npos) << json;

  EXPECT_NE(help.output.find("gptq"), std::string::npos);
  const CommandResult gptq = run_convert(common() + " --nest 8:4 --nest-method gptq --calib-count 4");
  EXPECT_EQ(gptq.exit_code, 0) << gptq.output;
  EXPECT_NE(gptq.output.find("nesting 8:4 gptq"), std::string::npos) << gptq.output;
  EXPECT_EQ(gptq.output.find("note:"), std::string::npos) << gptq.output;

  EXPECT_NE(help.output.find("bitplane"), std::string::npos);
  const CommandResult bitplane = run_convert(common() + " --nest 8:4 --nest-method bitplane --calib-count 4");
  EXPECT_EQ(bitplane.exit_code, 0) << bitplane.output;
  EXPECT_NE(bitplane.output.find("nesting 8:4 bitplane"), std::string::npos) << bitplane.output;

  const CommandResult quiet = run_convert(common() + " -q");
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.output, "");
}

TEST_F(Cli, UsageErrorsExitWith2) {
  EXPECT_EQ(run_convert("").exit_code, 2);
  const CommandResult nest = run_convert(common() + " --nest 8:8");
  EXPECT_EQ(nest.exit_code, 2);
  EXPECT_NE(nest.output.find("nestrt-convert: usage error: --nest: high bits must be between 1 and 7"),
            std::string::npos)
      << nest.output;
  EXPECT_EQ(run_convert(common() + " --nest 9:4").exit_code, 2);
  EXPECT_EQ(run_convert(common() + " --nest 4:4").exit_code, 2);
  const CommandResult method = run_convert(common() + " --nest-method bitwise");
  EXPECT_EQ(method.exit_code, 2);
  EXPECT_NE(method.output.find("bitwise"), std::string::npos) << method.output;
  EXPECT_EQ(run_convert(common() + " --nest six").exit_code, 2);
  EXPECT_EQ(run_convert(common() + " --color purple").exit_code, 2);
  EXPECT_EQ(run_convert(common() + " --calib-count 0").exit_code, 2);
  EXPECT_EQ(run_convert(dir_.file("missing.onnx") + " -o x.nest --calib x").exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("out.nest")));
}

TEST_F(Cli, ConversionErrorsExitWith1) {
  const CommandResult bad =
      run_convert(dir_.file("tiny.onnx") + " -o " + dir_.file("out.nest") + " --calib " + dir_.file("nothing"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.output.rfind("nestrt-convert: error: ", 0), 0u) << bad.output;
  EXPECT_NE(bad.output.find("no such file or directory"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("out.nest")));
}

}  // namespace
}  // namespace nestrt::converter
