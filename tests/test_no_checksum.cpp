// The runtime built with -DSASRNN_NO_CHECKSUM: load() leaves the CRC-32C check out, so a file's
// checksum is ignored (ModelView::checksum_verified stays false) and a file damaged in a weight
// loads as long as its values verify. Links no other sasrnn code; reads the files that
// make_test_models writes with the full build (good.sasrnn, and damaged.sasrnn: one weight bit
// flipped, which the full build refuses with ChecksumMismatch).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "sasrnn/model.hpp"

using namespace sasrnn;

static_assert(!kChecksumBuilt, "build this test with SASRNN_NO_CHECKSUM");

namespace {

Status load_file(const std::string& name, ModelView& view, std::vector<uint8_t>& keep) {
  std::ifstream in(std::string(SASRNN_CLI_MODELS) + "/" + name, std::ios::binary);
  keep.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  keep.resize(keep.size() + 16);  // room to place the bytes at a 16-byte boundary
  const size_t size = keep.size() - 16;
  uint8_t* p = keep.data();
  const size_t shift = (16 - reinterpret_cast<uintptr_t>(p) % 16) % 16;
  std::copy_backward(p, p + size, p + size + shift);
  return load(p + shift, size, view);
}

}  // namespace

TEST(NoChecksum, TheChecksumIsIgnored) {
  std::vector<uint8_t> a, b;
  ModelView good, damaged;
  ASSERT_EQ(load_file("good.sasrnn", good, a), Status::Ok);
  EXPECT_FALSE(good.checksum_verified);
  EXPECT_EQ(load_file("damaged.sasrnn", damaged, b), Status::Ok);  // ChecksumMismatch in a full build
  EXPECT_FALSE(damaged.checksum_verified);
}
