#include "runtime/model/device.h"

#include <string>

#include "gtest/gtest.h"

namespace lrb {
namespace {

// Run ids hash ToString: every accepted text must come back unchanged.
TEST(DeviceTest, ParsesAndPrintsBackTheSameText) {
  for (const std::string text : {"cpu", "cuda", "cuda:0", "cuda:1", "cuda:12"}) {
    absl::StatusOr<Device> d = ParseDevice(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status();
    EXPECT_EQ(d->ToString(), text);
  }
  EXPECT_EQ(ParseDevice("cpu")->kind, Device::Kind::kCpu);
  EXPECT_FALSE(ParseDevice("cpu")->is_cuda());
  EXPECT_EQ(*ParseDevice("cuda"), (Device{Device::Kind::kCuda, -1}));
  EXPECT_EQ(*ParseDevice("cuda:3"), (Device{Device::Kind::kCuda, 3}));
  EXPECT_EQ(Device().ToString(), "cpu");  // the default
}

TEST(DeviceTest, RefusesOtherTextNamingIt) {
  for (const std::string text : {"", "tpu", "CPU", "cuda:", "cuda:-1", "cuda:01", "cuda:1x", "cuda:+1", "cpu:0",
                                 " cuda", "cuda:99999999999"}) {
    absl::StatusOr<Device> d = ParseDevice(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().message(), "unknown device '" + text + "' (cpu, cuda, cuda:N)");
  }
}

}  // namespace
}  // namespace lrb
