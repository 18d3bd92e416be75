// RNN, GRU and LSTM: recurrent layers over a sequence, forward, reverse or
// bidirectional, with per-batch sequence lengths, optional initial states,
// configurable gate activations, cell clipping and both tensor layouts.
#include <algorithm>
#include <cctype>
#include <vector>

#include "engine/kernels/cpu/gemm.h"
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

enum class CellKind { kRnn, kGru, kLstm };

// Gate blocks in W and R: RNN one, GRU z/r/h, LSTM i/o/f/c.
constexpr int64_t NumGates(CellKind kind) {
  return kind == CellKind::kRnn ? 1 : kind == CellKind::kGru ? 3 : 4;
}
// Activation functions per direction: RNN f, GRU f/g, LSTM f/g/h.
constexpr size_t NumActivations(CellKind kind) {
  return kind == CellKind::kRnn ? 1 : kind == CellKind::kGru ? 2 : 3;
}

// One activation function of the RNN family with its alpha/beta.
struct Activation {
  enum class Kind {
    kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
    kSoftsign, kSoftplus,
  };
  Kind kind = Kind::kTanh;
  float alpha = 0.f;
  float beta = 0.f;

  template <typename C>
  C operator()(C x) const {
    const C a = static_cast<C>(alpha), b = static_cast<C>(beta);
    switch (kind) {
      case Kind::kRelu: return x > C(0) ? x : C(0);
      case Kind::kTanh: return std::tanh(x);
      case Kind::kSigmoid: return C(1) / (C(1) + std::exp(-x));
      case Kind::kAffine: return a * x + b;
      case Kind::kLeakyRelu: return x >= C(0) ? x : a * x;
      case Kind::kThresholdedRelu: return x > a ? x : C(0);
      case Kind::kScaledTanh: return a * std::tanh(b * x);
      case Kind::kHardSigmoid: return std::min(std::max(a * x + b, C(0)), C(1));
      case Kind::kElu: return x >= C(0) ? x : a * (std::exp(x) - C(1));
      case Kind::kSoftsign: return x / (C(1) + std::abs(x));
      case Kind::kSoftplus: return x > C(20) ? x : std::log1p(std::exp(x));
    }
    return x;
  }
};

// Parses `name` (case-insensitive). Alphas and betas are consumed in order by
// the functions that take them; a function without a given value uses its default.
Result<Activation> ParseActivation(const std::string& name, const std::vector<float>& alphas,
                                   const std::vector<float>& betas, size_t& next_alpha, size_t& next_beta) {
  std::string lower = name;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  struct Spec {
    const char* name;
    Activation::Kind kind;
    bool has_alpha;
    float default_alpha;
    bool has_beta;
    float default_beta;
  };
  static constexpr Spec kSpecs[] = {
      {"relu", Activation::Kind::kRelu, false, 0.f, false, 0.f},
      {"tanh", Activation::Kind::kTanh, false, 0.f, false, 0.f},
      {"sigmoid", Activation::Kind::kSigmoid, false, 0.f, false, 0.f},
      {"affine", Activation::Kind::kAffine, true, 1.f, true, 0.f},
      {"leakyrelu", Activation::Kind::kLeakyRelu, true, 0.01f, false, 0.f},
      {"thresholdedrelu", Activation::Kind::kThresholdedRelu, true, 1.f, false, 0.f},
      {"scaledtanh", Activation::Kind::kScaledTanh, true, 1.f, true, 1.f},
      {"hardsigmoid", Activation::Kind::kHardSigmoid, true, 0.2f, true, 0.5f},
      {"elu", Activation::Kind::kElu, true, 1.f, false, 0.f},
      {"softsign", Activation::Kind::kSoftsign, false, 0.f, false, 0.f},
      {"softplus", Activation::Kind::kSoftplus, false, 0.f, false, 0.f},
  };
  for (const Spec& spec : kSpecs) {
    if (lower != spec.name) continue;
    Activation act;
    act.kind = spec.kind;
    act.alpha = spec.default_alpha;
    act.beta = spec.default_beta;
    if (spec.has_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (spec.has_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    return act;
  }
  return Status::Unimplemented("activation function '" + name + "' is not supported");
}

// Converts a float-like tensor to the compute type, or borrows its data when
// it already has that type.
template <typename T, typename C>
const C* ComputeData(const Tensor& t, std::vector<C>& scratch) {
  if constexpr (std::is_same_v<T, C>) {
    return t.data<T>();
  } else {
    const T* src = t.data<T>();
    scratch.resize(static_cast<size_t>(t.num_elements()));
    for (size_t i = 0; i < scratch.size(); ++i) scratch[i] = static_cast<C>(src[i]);
    return scratch.data();
  }
}

Status CheckShape(const Tensor& t, const Shape& expected, const char* what) {
  if (t.shape() != expected) {
    return Status::InvalidArgument(std::string(what) + " has shape " + ShapeToString(t.shape()) + ", expected " +
                                   ShapeToString(expected));
  }
  return Status::Ok();
}

class RecurrentKernel final : public OpKernel {
 public:
  static Result<std::unique_ptr<OpKernel>> Create(const KernelInit& init, CellKind kind) {
    auto kernel = std::unique_ptr<RecurrentKernel>(new RecurrentKernel(kind));
    const ir::Node& node = init.node;
    const std::string direction = node.GetString("direction", "forward");
    if (direction == "forward") {
      kernel->num_directions_ = 1;
    } else if (direction == "reverse") {
      kernel->num_directions_ = 1;
      kernel->reverse_only_ = true;
    } else if (direction == "bidirectional") {
      kernel->num_directions_ = 2;
    } else {
      return Status::InvalidArgument("unknown direction '" + direction + "'");
    }
    kernel->hidden_size_ = node.GetInt("hidden_size", 0);
    if (node.HasAttribute("hidden_size") && kernel->hidden_size_ <= 0) {
      return Status::InvalidArgument("hidden_size must be positive, got " + std::to_string(kernel->hidden_size_));
    }
    kernel->layout_ = node.GetInt("layout", 0);
    if (kernel->layout_ != 0 && kernel->layout_ != 1) {
      return Status::InvalidArgument("layout must be 0 or 1, got " + std::to_string(kernel->layout_));
    }
    if (node.HasAttribute("clip")) {
      kernel->clip_ = node.GetFloat("clip", 0.f);
      if (!(kernel->clip_ > 0.f)) {
        return Status::InvalidArgument("clip must be positive, got " + std::to_string(kernel->clip_));
      }
    }
    kernel->linear_before_reset_ = node.GetInt("linear_before_reset", 0) != 0;
    kernel->input_forget_ = node.GetInt("input_forget", 0) != 0;

    const size_t per_direction = NumActivations(kind);
    std::vector<std::string> names = node.GetStrings("activations");
    if (names.empty()) {
      if (kind == CellKind::kRnn) names = {"Tanh"};
      else if (kind == CellKind::kGru) names = {"Sigmoid", "Tanh"};
      else names = {"Sigmoid", "Tanh", "Tanh"};
    }
    const size_t wanted = per_direction * static_cast<size_t>(kernel->num_directions_);
    if (names.size() == per_direction && wanted == 2 * per_direction) {
      std::vector<std::string> both = names;
      both.insert(both.end(), names.begin(), names.end());
      names = std::move(both);
    }
    if (names.size() != wanted) {
      return Status::InvalidArgument("expected " + std::to_string(wanted) + " activations, got " +
                                     std::to_string(names.size()));
    }
    const std::vector<float> alphas = node.GetFloats("activation_alpha");
    const std::vector<float> betas = node.GetFloats("activation_beta");
    size_t next_alpha = 0, next_beta = 0;
    for (const std::string& name : names) {
      KILN_ASSIGN_OR_RETURN(Activation act, ParseActivation(name, alphas, betas, next_alpha, next_beta));
      kernel->activations_.push_back(act);
    }
    return std::unique_ptr<OpKernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    for (int i = 0; i < 3; ++i) KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
    const DataType dtype = ctx.input(0).dtype();
    for (int i = 1; i < 3; ++i) {
      if (ctx.input(i).dtype() != dtype) {
        return Status::InvalidArgument("input " + std::to_string(i) + " has type " +
                                       std::string(DataTypeName(ctx.input(i).dtype())) + ", expected " +
                                       std::string(DataTypeName(dtype)));
      }
    }
    return DispatchType<FloatTypes>(dtype, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return ComputeTyped<T>(ctx);
    });
  }

 private:
  explicit RecurrentKernel(CellKind kind) : kind_(kind) {}

  // Sizes of one run, taken from the inputs.
  struct Dims {
    int64_t seq = 0, batch = 0, input = 0, hidden = 0, directions = 0, gates = 0;
  };

  // Element offset of row (time, batch) in X and in the projected inputs.
  int64_t InputRow(const Dims& d, int64_t t, int64_t b) const {
    return layout_ == 0 ? t * d.batch + b : b * d.seq + t;
  }
  // Element offset of Y[t, dir, b, 0] (layout 0) or Y[b, t, dir, 0] (layout 1).
  int64_t OutputOffset(const Dims& d, int64_t t, int64_t dir, int64_t b) const {
    return (layout_ == 0 ? (t * d.directions + dir) * d.batch + b : (b * d.seq + t) * d.directions + dir) * d.hidden;
  }
  // Element offset of a state [dir, b, 0] (layout 0) or [b, dir, 0] (layout 1).
  int64_t StateOffset(const Dims& d, int64_t dir, int64_t b) const {
    return (layout_ == 0 ? dir * d.batch + b : b * d.directions + dir) * d.hidden;
  }

  template <typename T>
  Status ComputeTyped(KernelContext& ctx) const {
    using C = ComputeType<T>;
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    const Tensor& r = ctx.input(2);
    if (x.rank() != 3) return Status::InvalidArgument("X must have rank 3, got " + ShapeToString(x.shape()));
    if (w.rank() != 3) return Status::InvalidArgument("W must have rank 3, got " + ShapeToString(w.shape()));
    Dims d;
    d.seq = layout_ == 0 ? x.dim(0) : x.dim(1);
    d.batch = layout_ == 0 ? x.dim(1) : x.dim(0);
    d.input = x.dim(2);
    d.directions = num_directions_;
    d.gates = NumGates(kind_);
    d.hidden = hidden_size_ > 0 ? hidden_size_ : w.dim(1) / d.gates;
    const int64_t gh = d.gates * d.hidden;
    KILN_RETURN_IF_ERROR(CheckShape(w, {d.directions, gh, d.input}, "W"));
    KILN_RETURN_IF_ERROR(CheckShape(r, {d.directions, gh, d.hidden}, "R"));

    const bool lstm = kind_ == CellKind::kLstm;
    const int kSeqLens = 4, kInitialH = 5, kInitialC = 6, kPeepholes = 7;
    auto optional_input = [&](int i, const Shape& shape, const char* what, const Tensor** out) -> Status {
      *out = nullptr;
      if (!ctx.has_input(i)) return Status::Ok();
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      const Tensor& t = ctx.input(i);
      if (t.dtype() != x.dtype()) {
        return Status::InvalidArgument(std::string(what) + " has type " + std::string(DataTypeName(t.dtype())) +
                                       ", expected " + std::string(DataTypeName(x.dtype())));
      }
      KILN_RETURN_IF_ERROR(CheckShape(t, shape, what));
      *out = &t;
      return Status::Ok();
    };
    const Shape state_shape =
        layout_ == 0 ? Shape{d.directions, d.batch, d.hidden} : Shape{d.batch, d.directions, d.hidden};
    const Tensor *b_in = nullptr, *h0_in = nullptr, *c0_in = nullptr, *p_in = nullptr;
    KILN_RETURN_IF_ERROR(optional_input(3, {d.directions, 2 * gh}, "B", &b_in));
    KILN_RETURN_IF_ERROR(optional_input(kInitialH, state_shape, "initial_h", &h0_in));
    if (lstm) {
      KILN_RETURN_IF_ERROR(optional_input(kInitialC, state_shape, "initial_c", &c0_in));
      KILN_RETURN_IF_ERROR(optional_input(kPeepholes, {d.directions, 3 * d.hidden}, "P", &p_in));
    }

    std::vector<int64_t> seq_lens(static_cast<size_t>(d.batch), d.seq);
    if (ctx.has_input(kSeqLens)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(kSeqLens));
      const Tensor& lens = ctx.input(kSeqLens);
      if (lens.num_elements() != d.batch || !IsInteger(lens.dtype())) {
        return Status::InvalidArgument("sequence_lens must hold " + std::to_string(d.batch) +
                                       " integers, got " + ShapeToString(lens.shape()) + " " +
                                       std::string(DataTypeName(lens.dtype())));
      }
      for (int64_t b = 0; b < d.batch; ++b) {
        const int64_t len = lens.GetInt(b);
        if (len < 0 || len > d.seq) {
          return Status::InvalidArgument("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                                         " is outside [0, " + std::to_string(d.seq) + "]");
        }
        seq_lens[static_cast<size_t>(b)] = len;
      }
    }

    std::vector<C> x_buf, w_buf, r_buf, b_buf, h0_buf, c0_buf, p_buf;
    const C* x_data = ComputeData<T, C>(x, x_buf);
    const C* w_data = ComputeData<T, C>(w, w_buf);
    const C* r_data = ComputeData<T, C>(r, r_buf);
    const C* b_data = b_in ? ComputeData<T, C>(*b_in, b_buf) : nullptr;
    const C* h0_data = h0_in ? ComputeData<T, C>(*h0_in, h0_buf) : nullptr;
    const C* c0_data = c0_in ? ComputeData<T, C>(*c0_in, c0_buf) : nullptr;
    const C* p_data = p_in ? ComputeData<T, C>(*p_in, p_buf) : nullptr;

    const Shape y_shape = layout_ == 0 ? Shape{d.seq, d.directions, d.batch, d.hidden}
                                       : Shape{d.batch, d.seq, d.directions, d.hidden};
    T* y = nullptr;
    if (ctx.wants_output(0)) {
      Tensor& y_out = ctx.AllocateOutput(0, x.dtype(), y_shape);
      y = y_out.data<T>();
      std::fill(y, y + y_out.num_elements(), static_cast<T>(C(0)));
    }
    T* y_h = ctx.wants_output(1) ? ctx.AllocateOutput(1, x.dtype(), state_shape).data<T>() : nullptr;
    T* y_c = lstm && ctx.wants_output(2) ? ctx.AllocateOutput(2, x.dtype(), state_shape).data<T>() : nullptr;

    // Workspaces reused by both directions.
    const size_t rows = static_cast<size_t>(d.seq * d.batch);
    std::vector<C> projected(rows * static_cast<size_t>(gh));        // X W^T + biases
    std::vector<C> recurrent(static_cast<size_t>(d.batch * gh));      // H R^T of one step
    std::vector<C> h(static_cast<size_t>(d.batch * d.hidden));
    std::vector<C> c(lstm ? h.size() : 0);
    std::vector<C> scratch(kind_ == CellKind::kGru ? 2 * h.size() : 0);  // GRU: r (.) H and z

    for (int64_t dir = 0; dir < d.directions; ++dir) {
      const bool reverse = reverse_only_ || dir == 1;
      const C* w_dir = w_data + dir * gh * d.input;
      const C* r_dir = r_data + dir * gh * d.hidden;
      Gemm(false, true, static_cast<int64_t>(rows), gh, d.input, C(1), x_data, d.input, w_dir, d.input, C(0),
           projected.data(), gh);
      // Fold biases into the projection; GRU with linear_before_reset keeps Rbh apart.
      const C* rb_h = nullptr;
      if (b_data) {
        const C* wb = b_data + dir * 2 * gh;
        const C* rb = wb + gh;
        std::vector<C> bias(wb, wb + gh);
        const int64_t folded = kind_ == CellKind::kGru && linear_before_reset_ ? 2 * d.hidden : gh;
        for (int64_t j = 0; j < folded; ++j) bias[static_cast<size_t>(j)] += rb[j];
        if (folded != gh) rb_h = rb + 2 * d.hidden;
        for (size_t row = 0; row < rows; ++row) {
          C* p = projected.data() + row * static_cast<size_t>(gh);
          for (int64_t j = 0; j < gh; ++j) p[j] += bias[static_cast<size_t>(j)];
        }
      }
      for (int64_t b = 0; b < d.batch; ++b) {
        const int64_t src = StateOffset(d, dir, b);
        C* hb = h.data() + b * d.hidden;
        if (h0_data) std::copy(h0_data + src, h0_data + src + d.hidden, hb);
        else std::fill(hb, hb + d.hidden, C(0));
        if (lstm) {
          C* cb = c.data() + b * d.hidden;
          if (c0_data) std::copy(c0_data + src, c0_data + src + d.hidden, cb);
          else std::fill(cb, cb + d.hidden, C(0));
        }
      }
      const Activation* acts = activations_.data() + static_cast<size_t>(dir) * NumActivations(kind_);
      const C* peep = p_data ? p_data + dir * 3 * d.hidden : nullptr;

      for (int64_t step = 0; step < d.seq; ++step) {
        StepArgs<C> a{d, dir, step, reverse, seq_lens, projected.data(), recurrent.data(), r_dir, rb_h, peep, acts,
                      h.data(), c.data(), scratch.data()};
        switch (kind_) {
          case CellKind::kRnn: RnnStep(a); break;
          case CellKind::kGru: GruStep(a); break;
          case CellKind::kLstm: LstmStep(a); break;
        }
        if (y) {
          for (int64_t b = 0; b < d.batch; ++b) {
            const int64_t len = seq_lens[static_cast<size_t>(b)];
            if (step >= len) continue;
            const int64_t t = reverse ? len - 1 - step : step;
            const C* hb = h.data() + b * d.hidden;
            T* dst = y + OutputOffset(d, t, dir, b);
            for (int64_t j = 0; j < d.hidden; ++j) dst[j] = static_cast<T>(hb[j]);
          }
        }
      }
      for (int64_t b = 0; b < d.batch; ++b) {
        const int64_t dst = StateOffset(d, dir, b);
        for (int64_t j = 0; j < d.hidden; ++j) {
          if (y_h) y_h[dst + j] = static_cast<T>(h[static_cast<size_t>(b * d.hidden + j)]);
          if (y_c) y_c[dst + j] = static_cast<T>(c[static_cast<size_t>(b * d.hidden + j)]);
        }
      }
    }
    return Status::Ok();
  }

  template <typename C>
  struct StepArgs {
    const Dims& d;
    int64_t dir, step;
    bool reverse;
    const std::vector<int64_t>& seq_lens;
    const C* projected;  // [rows, gates * hidden]
    C* recurrent;        // [batch, gates * hidden]
    const C* r;          // R of this direction
    const C* rb_h;       // GRU linear_before_reset: Rbh, else nullptr
    const C* peep;       // LSTM peepholes i/o/f, or nullptr
    const Activation* acts;
    C* h;                // [batch, hidden], updated in place
    C* c;                // LSTM cell state [batch, hidden]
    C* scratch;          // GRU: [2, batch, hidden]
  };

  // Projected-input row of batch entry b at this step, or nullptr when b's
  // sequence has ended.
  template <typename C>
  const C* StepInput(const StepArgs<C>& a, int64_t b) const {
    const int64_t len = a.seq_lens[static_cast<size_t>(b)];
    if (a.step >= len) return nullptr;
    const int64_t t = a.reverse ? len - 1 - a.step : a.step;
    return a.projected + InputRow(a.d, t, b) * a.d.gates * a.d.hidden;
  }

  template <typename C>
  C Clip(C v) const {
    if (clip_ > 0.f) v = std::min(std::max(v, static_cast<C>(-clip_)), static_cast<C>(clip_));
    return v;
  }

  // Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb)
  template <typename C>
  void RnnStep(const StepArgs<C>& a) const {
    const int64_t hs = a.d.hidden;
    Gemm(false, true, a.d.batch, hs, hs, C(1), a.h, hs, a.r, hs, C(0), a.recurrent, hs);
    for (int64_t b = 0; b < a.d.batch; ++b) {
      const C* gx = StepInput(a, b);
      if (!gx) continue;
      const C* gr = a.recurrent + b * hs;
      C* hb = a.h + b * hs;
      for (int64_t j = 0; j < hs; ++j) hb[j] = a.acts[0](Clip(gx[j] + gr[j]));
    }
  }

  // zt = f(..z), rt = f(..r), ht = g(Xt Wh^T + (rt (.) Ht-1) Rh^T + Rbh + Wbh)
  // or with linear_before_reset g(Xt Wh^T + rt (.) (Ht-1 Rh^T + Rbh) + Wbh);
  // Ht = (1 - zt) (.) ht + zt (.) Ht-1.
  template <typename C>
  void GruStep(const StepArgs<C>& a) const {
    const int64_t hs = a.d.hidden, gh = 3 * hs;
    const Activation& f = a.acts[0];
    const Activation& g = a.acts[1];
    C* reset_h = a.scratch;          // rt (.) Ht-1
    C* update = a.scratch + a.d.batch * hs;  // zt
    Gemm(false, true, a.d.batch, linear_before_reset_ ? gh : 2 * hs, hs, C(1), a.h, hs, a.r, hs, C(0), a.recurrent,
         gh);
    for (int64_t b = 0; b < a.d.batch; ++b) {
      const C* gx = StepInput(a, b);
      if (!gx) continue;
      const C* gr = a.recurrent + b * gh;
      const C* hb = a.h + b * hs;
      C* zb = update + b * hs;
      C* rh = reset_h + b * hs;
      for (int64_t j = 0; j < hs; ++j) {
        zb[j] = f(Clip(gx[j] + gr[j]));
        const C rt = f(Clip(gx[hs + j] + gr[hs + j]));
        if (linear_before_reset_) {
          const C rb = a.rb_h ? a.rb_h[j] : C(0);
          rh[j] = rt * (gr[2 * hs + j] + rb);
        } else {
          rh[j] = rt * hb[j];
        }
      }
    }
    if (!linear_before_reset_) {
      // Rows of finished sequences hold stale values; their results are ignored.
      Gemm(false, true, a.d.batch, hs, hs, C(1), reset_h, hs, a.r + 2 * hs * hs, hs, C(0), a.recurrent + 2 * hs, gh);
    }
    for (int64_t b = 0; b < a.d.batch; ++b) {
      const C* gx = StepInput(a, b);
      if (!gx) continue;
      const C* hidden_in = linear_before_reset_ ? reset_h + b * hs : a.recurrent + b * gh + 2 * hs;
      const C* zb = update + b * hs;
      C* hb = a.h + b * hs;
      for (int64_t j = 0; j < hs; ++j) {
        const C candidate = g(Clip(gx[2 * hs + j] + hidden_in[j]));
        hb[j] = (C(1) - zb[j]) * candidate + zb[j] * hb[j];
      }
    }
  }

  // Gates i/o/f/c: it = f(.. + Pi (.) Ct-1), ft = f(.. + Pf (.) Ct-1) (or 1 - it
  // with input_forget), ct = g(..), Ct = ft (.) Ct-1 + it (.) ct,
  // ot = f(.. + Po (.) Ct), Ht = ot (.) h(Ct).
  template <typename C>
  void LstmStep(const StepArgs<C>& a) const {
    const int64_t hs = a.d.hidden, gh = 4 * hs;
    const Activation& f = a.acts[0];
    const Activation& g = a.acts[1];
    const Activation& h_act = a.acts[2];
    Gemm(false, true, a.d.batch, gh, hs, C(1), a.h, hs, a.r, hs, C(0), a.recurrent, gh);
    const C* p_i = a.peep;
    const C* p_o = a.peep ? a.peep + hs : nullptr;
    const C* p_f = a.peep ? a.peep + 2 * hs : nullptr;
    for (int64_t b = 0; b < a.d.batch; ++b) {
      const C* gx = StepInput(a, b);
      if (!gx) continue;
      const C* gr = a.recurrent + b * gh;
      C* hb = a.h + b * hs;
      C* cb = a.c + b * hs;
      for (int64_t j = 0; j < hs; ++j) {
        const C c_prev = cb[j];
        const C it = f(Clip(gx[j] + gr[j] + (p_i ? p_i[j] * c_prev : C(0))));
        const C ft = input_forget_ ? C(1) - it
                                   : f(Clip(gx[2 * hs + j] + gr[2 * hs + j] + (p_f ? p_f[j] * c_prev : C(0))));
        const C ct = g(Clip(gx[3 * hs + j] + gr[3 * hs + j]));
        const C c_new = ft * c_prev + it * ct;
        const C ot = f(Clip(gx[hs + j] + gr[hs + j] + (p_o ? p_o[j] * c_new : C(0))));
        cb[j] = c_new;
        hb[j] = ot * h_act(c_new);
      }
    }
  }

  CellKind kind_;
  int64_t num_directions_ = 1;
  bool reverse_only_ = false;
  int64_t hidden_size_ = 0;
  int64_t layout_ = 0;
  float clip_ = 0.f;  // 0: no clipping
  bool linear_before_reset_ = false;
  bool input_forget_ = false;
  std::vector<Activation> activations_;  // NumActivations(kind_) per direction
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeRnn(const KernelInit& init) {
  return RecurrentKernel::Create(init, CellKind::kRnn);
}
Result<std::unique_ptr<OpKernel>> MakeGru(const KernelInit& init) {
  return RecurrentKernel::Create(init, CellKind::kGru);
}
Result<std::unique_ptr<OpKernel>> MakeLstm(const KernelInit& init) {
  return RecurrentKernel::Create(init, CellKind::kLstm);
}

}  // namespace kiln::cpu
