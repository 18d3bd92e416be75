// MelWeightMatrix: triangular filterbank of shape [dft_length / 2 + 1,
// num_mel_bins] mapping linear-frequency spectrogram bins to mel bands
// equally spaced between lower_edge_hertz and upper_edge_hertz.
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/size_check.h"
#include "engine/kernels/cpu/output_datatype.h"

namespace kiln::cpu {
namespace {

constexpr double kMaxEdge = 1e15;

double HertzToMel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double MelToHertz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

Result<double> ScalarInput(const KernelContext& ctx, int i, const char* what, bool integer) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
  const Tensor& t = ctx.input(i);
  if (t.num_elements() != 1 || (integer && !IsInteger(t.dtype()))) {
    return Status::InvalidArgument(std::string(what) + " must be a single " + (integer ? "integer" : "number") +
                                   ", got " + std::string(DataTypeName(t.dtype())) + " " + ShapeToString(t.shape()));
  }
  return t.GetDouble(0);
}

class MelWeightMatrixKernel final : public OpKernel {
 public:
  explicit MelWeightMatrixKernel(const KernelInit& init)
      : output_type_(static_cast<DataType>(init.node.GetInt("output_datatype", 1))) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const double mel_bins_in, ScalarInput(ctx, 0, "num_mel_bins", true));
    KILN_ASSIGN_OR_RETURN(const double dft_length_in, ScalarInput(ctx, 1, "dft_length", true));
    KILN_ASSIGN_OR_RETURN(const double sample_rate, ScalarInput(ctx, 2, "sample_rate", true));
    KILN_ASSIGN_OR_RETURN(const double lower_hz, ScalarInput(ctx, 3, "lower_edge_hertz", false));
    KILN_ASSIGN_OR_RETURN(const double upper_hz, ScalarInput(ctx, 4, "upper_edge_hertz", false));
    constexpr double kMaxCount = 0x1p62;  // keeps the casts below defined
    if (!(mel_bins_in < kMaxCount) || !(dft_length_in < kMaxCount)) {
      return Status::InvalidArgument("num_mel_bins and dft_length must be below 2^62");
    }
    const int64_t mel_bins = static_cast<int64_t>(mel_bins_in);
    const int64_t dft_length = static_cast<int64_t>(dft_length_in);
    if (mel_bins < 1 || dft_length < 1 || sample_rate <= 0) {
      return Status::InvalidArgument("num_mel_bins, dft_length and sample_rate must be positive");
    }
    if (!(lower_hz >= 0) || !(upper_hz >= lower_hz) || !std::isfinite(upper_hz)) {
      return Status::InvalidArgument("need 0 <= lower_edge_hertz <= upper_edge_hertz, both finite");
    }
    const int64_t spectrogram_bins = dft_length / 2 + 1;
    // The weights are built in double before conversion to the output type.
    KILN_RETURN_IF_ERROR(CheckOutputShape({spectrogram_bins, mel_bins}, DataType::kDouble, "output shape"));

    // Band edges: mel_bins + 2 points equally spaced in mel, mapped to DFT bins.
    const double low_mel = HertzToMel(lower_hz);
    const double mel_step = (HertzToMel(upper_hz) - low_mel) / static_cast<double>(mel_bins + 2);
    std::vector<int64_t> edges(static_cast<size_t>(mel_bins + 2));
    for (int64_t i = 0; i < mel_bins + 2; ++i) {
      const double hz = MelToHertz(static_cast<double>(i) * mel_step + low_mel);
      // Clamped so that absurd edge frequencies cannot overflow the cast.
      const double bin = std::floor(static_cast<double>(dft_length + 1) * hz / sample_rate);
      edges[static_cast<size_t>(i)] = static_cast<int64_t>(std::clamp(bin, -kMaxEdge, kMaxEdge));
    }

    // Rising then falling slope of each triangle; bins outside the spectrogram are skipped.
    std::vector<double> weights(static_cast<size_t>(spectrogram_bins * mel_bins), 0.0);
    auto at = [&](int64_t bin, int64_t band) -> double& {
      return weights[static_cast<size_t>(bin * mel_bins + band)];
    };
    const int64_t last_bin = spectrogram_bins - 1;
    for (int64_t band = 0; band < mel_bins; ++band) {
      const int64_t left = edges[static_cast<size_t>(band)];
      const int64_t center = edges[static_cast<size_t>(band + 1)];
      const int64_t right = edges[static_cast<size_t>(band + 2)];
      if (center == left) {
        if (center >= 0 && center <= last_bin) at(center, band) = 1.0;
      } else {
        for (int64_t j = std::max<int64_t>(left, 0); j <= std::min(center, last_bin); ++j) {
          at(j, band) = static_cast<double>(j - left) / static_cast<double>(center - left);
        }
      }
      for (int64_t j = std::max<int64_t>(center, 0); j < std::min(right, spectrogram_bins); ++j) {
        at(j, band) = static_cast<double>(right - j) / static_cast<double>(right - center);
      }
    }
    return DispatchType<AllNumericTypes>(output_type_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = ctx.AllocateOutput(0, output_type_, {spectrogram_bins, mel_bins}).template data<T>();
      for (size_t i = 0; i < weights.size(); ++i) out[i] = static_cast<T>(static_cast<ComputeType<T>>(weights[i]));
    });
  }

 private:
  DataType output_type_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeMelWeightMatrix(const KernelInit& init) {
  KILN_RETURN_IF_ERROR(CheckNumericOutputType(init.node));
  return MakeKernel<MelWeightMatrixKernel>(init);
}

}  // namespace kiln::cpu
