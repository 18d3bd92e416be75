#include "engine/kernels/cpu/dnnl_scratchpad_pool.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace kiln::cpu {
namespace {

dnnl::memory::desc Bytes(int64_t n) {
  return dnnl::memory::desc({n}, dnnl::memory::data_type::u8, dnnl::memory::format_tag::a);
}

uintptr_t Address(const DnnlScratchpadPool::Lease& lease) {
  return reinterpret_cast<uintptr_t>(lease.memory().get_data_handle());
}

TEST(DnnlScratchpadPool, ConcurrentLeasesGetDistinctAlignedBuffersThatAreReused) {
  DnnlScratchpadPool pool;
  uintptr_t first = 0, second = 0;
  {
    auto a = pool.Acquire(Bytes(1000));
    auto b = pool.Acquire(Bytes(1000));
    ASSERT_TRUE(a.ok() && b.ok());
    first = Address(*a);
    second = Address(*b);
    EXPECT_NE(first, second);
    EXPECT_EQ(first % 64, 0u);
    EXPECT_EQ(second % 64, 0u);
    EXPECT_EQ(a->memory().get_desc().get_size(), 1000u);
    EXPECT_EQ(pool.idle_buffers(), 0u);
  }
  EXPECT_EQ(pool.idle_buffers(), 2u);
  {
    // A buffer as large as asked for is taken back from the pool.
    auto again = pool.Acquire(Bytes(800));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(Address(*again) == first || Address(*again) == second);
    EXPECT_EQ(pool.idle_buffers(), 1u);
  }
  {
    // A larger request grows the buffer it takes; the pool does not grow.
    auto big = pool.Acquire(Bytes(1 << 20));
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(Address(*big) % 64, 0u);
    static_cast<uint8_t*>(big->memory().get_data_handle())[(1 << 20) - 1] = 7;  // writable to the end
  }
  EXPECT_EQ(pool.idle_buffers(), 2u);
}

TEST(DnnlScratchpadPool, EmptyDescriptorGivesAnEmptyScratchpad) {
  DnnlScratchpadPool pool;
  auto lease = pool.Acquire(dnnl::memory::desc());
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->memory().get_desc().get_size(), 0u);
}

}  // namespace
}  // namespace kiln::cpu
