#include "engine/kernels/cpu/dnnl_context.h"

#include <omp.h>

#include <algorithm>

#include "engine/runtime/kernel_context.h"
#include "engine/runtime/thread_pool.h"

namespace kiln::cpu {

const dnnl::engine& DnnlEngine() {
  // Immutable after construction; function-local statics initialise once, thread-safely.
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

Result<dnnl::memory::data_type> DnnlDataType(DataType dtype) {
  using dt = dnnl::memory::data_type;
  switch (dtype) {
    case DataType::kFloat: return dt::f32;
    case DataType::kFloat16: return dt::f16;
    case DataType::kBFloat16: return dt::bf16;
    case DataType::kInt32: return dt::s32;
    case DataType::kInt8: return dt::s8;
    case DataType::kUInt8: return dt::u8;
    default: return Status::Unimplemented("oneDNN has no " + std::string(DataTypeName(dtype)) + " type");
  }
}

dnnl::memory::dims DnnlDims(const Shape& shape) { return dnnl::memory::dims(shape.begin(), shape.end()); }

dnnl::memory::desc DnnlPlainDesc(const Shape& shape, dnnl::memory::data_type type) {
  dnnl::memory::dims strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(shape[i], 1);
  return dnnl::memory::desc(DnnlDims(shape), type, strides);
}

dnnl::memory DnnlWrap(const dnnl::memory::desc& desc, const void* data) {
  // oneDNN takes non-const handles; inputs are only read by the primitives.
  return dnnl::memory(desc, DnnlEngine(), const_cast<void*>(data));
}

int DnnlThreadsFor(int session_threads, double flops, double flops_per_microsecond, double bytes) {
  if (session_threads <= 1) return 1;
  // Below ~2^17 flops or bytes per thread (well under a microsecond) no machine gains.
  constexpr double kMinWorkPerThread = 1 << 17;
  const double useful = std::max(1.0, std::max(flops, bytes) / kMinWorkPerThread);
  const int threads = static_cast<int>(std::min<double>(session_threads, useful));
  constexpr double kWakeUps = 3;
  const double micros = std::max(flops / flops_per_microsecond, bytes / kBytesPerMicrosecond);
  return micros >= kWakeUps * kWorkerWakeMicros ? threads : 1;
}

int DnnlSessionThreads(const KernelContext& ctx) {
  const ThreadPool* pool = ctx.thread_pool();
  return pool == nullptr ? 1 : pool->size();
}

DnnlThreadScope::DnnlThreadScope(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(std::max(threads, 1));
}

DnnlThreadScope::~DnnlThreadScope() { omp_set_num_threads(saved_); }

Status DnnlExecute(const dnnl::primitive& primitive, const std::unordered_map<int, dnnl::memory>& args, int threads,
                   const char* what) {
  // The team size of the parallel regions the primitive starts on this thread.
  const DnnlThreadScope scope(threads);
  try {
    dnnl::stream stream(DnnlEngine());
    primitive.execute(stream, args);
    stream.wait();
  } catch (const dnnl::error& e) {
    return Status::Internal(std::string(what) + ": oneDNN execution failed: " + e.what());
  }
  return Status::Ok();
}

Result<dnnl::memory> DnnlReorderToNew(const dnnl::memory& src, const dnnl::memory::desc& dst_desc, int threads) {
  dnnl::memory dst;
  KILN_RETURN_IF_ERROR(DnnlCatch("weight reorder", [&] {
    dst = dnnl::memory(dst_desc, DnnlEngine());
  }));
  dnnl::reorder reorder;
  KILN_RETURN_IF_ERROR(DnnlCatch("weight reorder", [&] { reorder = dnnl::reorder(src, dst); }));
  KILN_RETURN_IF_ERROR(DnnlExecute(reorder, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}}, threads, "weight reorder"));
  return dst;
}

}  // namespace kiln::cpu
