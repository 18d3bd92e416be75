// Shared plumbing for kernels that run on oneDNN (libdnnl, Debian's 2.x
// build with the OpenMP runtime):
//   - DnnlEngine(): the process's CPU engine (created once, immutable);
//   - memory descriptors and memory objects over Kiln tensors (no copies);
//   - DnnlThreadsFor / DnnlExecute: run a primitive with exactly the
//     session's thread count, catching dnnl::error at this edge.
//
// Threads: oneDNN parallelises with OpenMP. Most primitives (the brgemm
// convolutions and matmuls above all) fix their thread count when they are
// created, from the creating thread's OpenMP setting (omp_get_max_threads);
// the rest take it when they run. So kernels create a primitive inside a
// DnnlThreadScope with the count it should run with (DnnlThreadsFor: the
// session's threads, fewer for small work) and DnnlExecute sets the same
// count around every execution. Both restore the thread's previous setting,
// so each Session uses its own `threads` whichever thread calls it.
// How idle OpenMP workers wait (spin or sleep) is covered in docs/engine.md.
//
// Thread-safety: everything here is safe to call from several threads;
// dnnl::primitive::execute is thread-safe for distinct memory arguments.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln {
class KernelContext;
}

namespace kiln::cpu {

// The CPU engine all Kiln primitives and memories use.
const dnnl::engine& DnnlEngine();

// The oneDNN data type of `dtype`, or Unimplemented for types oneDNN lacks
// (double, 64-bit and 16-bit integers, bool, strings...).
Result<dnnl::memory::data_type> DnnlDataType(DataType dtype);

dnnl::memory::dims DnnlDims(const Shape& shape);

// A dense row-major (C order) descriptor of `shape`.
dnnl::memory::desc DnnlPlainDesc(const Shape& shape, dnnl::memory::data_type type);

// A oneDNN memory over `data` (not owned; must outlive every use).
dnnl::memory DnnlWrap(const dnnl::memory::desc& desc, const void* data);

// Throughput a primitive is assumed to reach on one thread, to estimate its
// time: float32 (and bf16) convolutions and matmuls, and int8 ones (VNNI or
// AMX do about four times the multiply-adds per cycle).
inline constexpr double kFloatFlopsPerMicrosecond = 1.5e5;
inline constexpr double kInt8OpsPerMicrosecond = 6e5;

// What handing work to an OpenMP worker costs within a run, as assumed when
// choosing thread counts. The kiln binary lets workers spin briefly after a
// parallel region (tools/kiln/openmp_wait_policy.h), so between the
// primitives of one run this is a barrier and some cache traffic, not a
// wake-up (60-170 µs on virtual machines whose idle virtual CPUs the host
// deschedules). Where running on one thread is faster overall (a busy core,
// or a sleeping pool), the Session's ThreadCountChooser finds out by itself.
inline constexpr double kWorkerWakeMicros = 2;

// Bytes one thread is assumed to stream per microsecond from beyond its L2
// cache, for primitives whose time is memory traffic rather than arithmetic
// (a matrix-vector product over 1.6 MB of weights: 0.8 MFLOP, but ~30 µs).
inline constexpr double kBytesPerMicrosecond = 5e4;

// Threads a primitive with about `flops` operations, done at
// `flops_per_microsecond` on one thread, and `bytes` of operands and
// results, should use in a session of `session_threads`: all of them when
// its estimated time (the longer of arithmetic and memory traffic) is at
// least three worker hand-offs, else one (the caller would wait for a
// helper's share longer than it gains). A second thread also brings a
// second core's cache: a memory-bound product whose weights overflow one
// L2 fits in two.
int DnnlThreadsFor(int session_threads, double flops, double flops_per_microsecond = kFloatFlopsPerMicrosecond,
                   double bytes = 0);
// The thread count of the current run as a kernel sees it (all of the
// session's threads, or 1 on a run the ThreadCountChooser put on one thread).
int DnnlSessionThreads(const KernelContext& ctx);

// Sets the calling thread's OpenMP thread count for its lifetime (RAII) and
// restores the previous count; create primitives inside one.
class DnnlThreadScope {
 public:
  explicit DnnlThreadScope(int threads);
  ~DnnlThreadScope();
  DnnlThreadScope(const DnnlThreadScope&) = delete;
  DnnlThreadScope& operator=(const DnnlThreadScope&) = delete;

 private:
  int saved_;
};

// Executes `primitive` on a fresh stream of DnnlEngine() with `threads`
// OpenMP threads (use the count it was created with) and waits for it. dnnl::error becomes a Status naming `what`.
Status DnnlExecute(const dnnl::primitive& primitive, const std::unordered_map<int, dnnl::memory>& args,
                   int threads, const char* what);

// Reorders `src` (any layout) into a new memory of `dst_desc`, allocated by
// oneDNN and owned by the result. Used to prepack constant weights once.
Result<dnnl::memory> DnnlReorderToNew(const dnnl::memory& src, const dnnl::memory::desc& dst_desc, int threads);

// Turns a library exception thrown by `f` into a Status. Use around
// primitive-descriptor creation, which throws dnnl::error for unsupported
// configurations.
template <typename F>
Status DnnlCatch(const char* what, F&& f) {
  try {
    f();
    return Status::Ok();
  } catch (const dnnl::error& e) {
    return Status::Unimplemented(std::string(what) + ": oneDNN: " + e.what());
  }
}

}  // namespace kiln::cpu
