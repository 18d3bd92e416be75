// NonMaxSuppression (opset 10, 11): per batch and class, greedily selects the
// highest-scoring boxes, dropping boxes that overlap a selected one by more
// than iou_threshold; outputs (batch, class, box) index triples.
#include <algorithm>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

// A box as (min y, min x, max y, max x).
struct Box {
  double y0, x0, y1, x1;
  double Area() const { return (y1 - y0) * (x1 - x0); }
};

double IntersectionOverUnion(const Box& a, const Box& b) {
  const double area_a = a.Area(), area_b = b.Area();
  if (area_a <= 0 || area_b <= 0) return 0;
  const double ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  const double iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  if (ih <= 0 || iw <= 0) return 0;
  const double inter = ih * iw;
  return inter / (area_a + area_b - inter);
}

class NonMaxSuppressionKernel final : public OpKernel {
 public:
  explicit NonMaxSuppressionKernel(bool center_point_box) : center_point_box_(center_point_box) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& boxes = ctx.input(0);
    const Tensor& scores = ctx.input(1);
    if (boxes.rank() != 3 || boxes.dim(2) != 4) {
      return ShapeError("boxes must be num_batches x spatial_dimension x 4, got " + ShapeToString(boxes.shape()));
    }
    if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1)) {
      return ShapeError("scores " + ShapeToString(scores.shape()) + " does not match boxes " +
                        ShapeToString(boxes.shape()));
    }
    const int64_t max_per_class = ctx.has_input(2) && ctx.input(2).num_elements() > 0 ? ctx.input(2).GetInt(0) : 0;
    const double iou_threshold =
        ctx.has_input(3) && ctx.input(3).num_elements() > 0 ? ctx.input(3).GetDouble(0) : 0.0;
    const bool has_score_threshold = ctx.has_input(4) && ctx.input(4).num_elements() > 0;
    const double score_threshold = has_score_threshold ? ctx.input(4).GetDouble(0) : 0.0;
    if (iou_threshold < 0 || iou_threshold > 1) return Status::InvalidArgument("iou_threshold must be in [0, 1]");

    const int64_t batches = boxes.dim(0), num_boxes = boxes.dim(1), classes = scores.dim(1);
    std::vector<int64_t> selected_triples;
    std::vector<Box> batch_boxes(static_cast<size_t>(num_boxes));
    std::vector<double> class_scores(static_cast<size_t>(num_boxes));
    std::vector<int64_t> order;
    std::vector<int64_t> kept;
    for (int64_t b = 0; b < batches; ++b) {
      for (int64_t i = 0; i < num_boxes; ++i) batch_boxes[static_cast<size_t>(i)] = ReadBox(boxes, b * num_boxes + i);
      for (int64_t c = 0; c < classes; ++c) {
        if (max_per_class <= 0) break;
        const int64_t score_base = (b * classes + c) * num_boxes;
        order.clear();
        for (int64_t i = 0; i < num_boxes; ++i) {
          class_scores[static_cast<size_t>(i)] = scores.GetDouble(score_base + i);
          if (!has_score_threshold || class_scores[static_cast<size_t>(i)] > score_threshold) order.push_back(i);
        }
        // Highest score first; ties keep the lower box index first.
        std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) {
          return class_scores[static_cast<size_t>(l)] > class_scores[static_cast<size_t>(r)];
        });
        kept.clear();
        for (int64_t candidate : order) {
          if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
          const Box& box = batch_boxes[static_cast<size_t>(candidate)];
          const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](int64_t k) {
            return IntersectionOverUnion(box, batch_boxes[static_cast<size_t>(k)]) > iou_threshold;
          });
          if (suppressed) continue;
          kept.push_back(candidate);
          selected_triples.insert(selected_triples.end(), {b, c, candidate});
        }
      }
    }
    const int64_t count = static_cast<int64_t>(selected_triples.size() / 3);
    Tensor& out = ctx.AllocateOutput(0, DataType::kInt64, {count, 3});
    std::copy(selected_triples.begin(), selected_triples.end(), out.data<int64_t>());
    return Status::Ok();
  }

 private:
  Box ReadBox(const Tensor& boxes, int64_t index) const {
    const double a = boxes.GetDouble(index * 4), b = boxes.GetDouble(index * 4 + 1);
    const double c = boxes.GetDouble(index * 4 + 2), d = boxes.GetDouble(index * 4 + 3);
    if (center_point_box_) {  // (x_center, y_center, width, height)
      return Box{b - d / 2, a - c / 2, b + d / 2, a + c / 2};
    }
    // (y1, x1, y2, x2) with either diagonal pair of corners.
    return Box{std::min(a, c), std::min(b, d), std::max(a, c), std::max(b, d)};
  }

  bool center_point_box_;
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeNonMaxSuppression(const KernelInit& init) {
  const int64_t center_point_box = init.node.GetInt("center_point_box", 0);
  if (center_point_box != 0 && center_point_box != 1) {
    return Status::InvalidArgument("center_point_box must be 0 or 1");
  }
  return std::unique_ptr<OpKernel>(new NonMaxSuppressionKernel(center_point_box == 1));
}

}  // namespace kiln::cpu
