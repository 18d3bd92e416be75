#include "tools/kiln/bench_profile.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <iomanip>
#include <map>

namespace kiln::tools {
namespace {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  return values[mid];
}

std::string OperatorName(const ir::Node& node) {
  return node.domain.empty() || node.domain == "ai.onnx" ? node.op_type : node.domain + "::" + node.op_type;
}

}  // namespace

BenchProfile::BenchProfile(std::vector<const ir::Node*> order) : order_(std::move(order)), samples_(order_.size()) {}

void BenchProfile::Add(const std::vector<double>& step_micros) {
  for (size_t i = 0; i < samples_.size() && i < step_micros.size(); ++i) samples_[i].push_back(step_micros[i]);
}

std::vector<BenchProfile::NodeTime> BenchProfile::Nodes() const {
  std::vector<NodeTime> nodes;
  nodes.reserve(order_.size());
  for (size_t i = 0; i < order_.size(); ++i) {
    const ir::Node& node = *order_[i];
    nodes.push_back({node.name.empty() ? "(unnamed " + node.op_type + ")" : node.name, OperatorName(node),
                     Median(samples_[i]) / 1000.0});
  }
  return nodes;
}

std::vector<BenchProfile::OperatorTime> BenchProfile::Operators() const {
  std::map<std::string, OperatorTime> by_op;
  double total = 0;
  for (const NodeTime& node : Nodes()) {
    OperatorTime& op = by_op[node.op];
    op.op = node.op;
    ++op.nodes;
    op.median_ms += node.median_ms;
    total += node.median_ms;
  }
  std::vector<OperatorTime> ops;
  for (auto& [name, op] : by_op) {
    op.share = total > 0 ? op.median_ms / total : 0;
    ops.push_back(op);
  }
  std::sort(ops.begin(), ops.end(),
            [](const OperatorTime& a, const OperatorTime& b) { return a.median_ms > b.median_ms; });
  return ops;
}

void BenchProfile::PrintTable(std::ostream& out, size_t top) const {
  std::vector<NodeTime> nodes = Nodes();
  double total = 0;
  for (const NodeTime& node : nodes) total += node.median_ms;
  const size_t runs = samples_.empty() ? 0 : samples_.front().size();
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const NodeTime& a, const NodeTime& b) { return a.median_ms > b.median_ms; });
  out << std::fixed << "\nprofile:     median per node over " << runs << " measured runs; " << order_.size()
      << " nodes, " << std::setprecision(3) << total << " ms in all\n";
  out << "  " << std::left << std::setw(44) << "node" << std::setw(28) << "operator" << std::right << std::setw(10)
      << "ms" << std::setw(8) << "share"
      << "\n";
  for (size_t i = 0; i < nodes.size() && i < top; ++i) {
    std::string name = nodes[i].name;
    if (name.size() > 42) name = "..." + name.substr(name.size() - 39);
    out << "  " << std::left << std::setw(44) << name << std::setw(28) << nodes[i].op << std::right << std::setw(10)
        << std::setprecision(3) << nodes[i].median_ms << std::setw(7) << std::setprecision(1)
        << (total > 0 ? 100.0 * nodes[i].median_ms / total : 0.0) << "%\n";
  }
  if (nodes.size() > top) out << "  (" << nodes.size() - top << " more nodes; --json lists them all)\n";
  out << "  by operator:\n";
  for (const OperatorTime& op : Operators()) {
    out << "  " << std::left << std::setw(44) << op.op << std::setw(28)
        << (std::to_string(op.nodes) + (op.nodes == 1 ? " node" : " nodes")) << std::right << std::setw(10)
        << std::setprecision(3) << op.median_ms << std::setw(7) << std::setprecision(1) << 100.0 * op.share << "%\n";
  }
  out << std::left;
}

std::string BenchProfile::Json() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  json.Key("runs");
  json.Uint64(samples_.empty() ? 0 : samples_.front().size());
  json.Key("nodes");
  json.StartArray();
  for (const NodeTime& node : Nodes()) {
    json.StartObject();
    json.Key("name");
    json.String(node.name.c_str(), static_cast<rapidjson::SizeType>(node.name.size()));
    json.Key("op");
    json.String(node.op.c_str(), static_cast<rapidjson::SizeType>(node.op.size()));
    json.Key("median_ms");
    json.Double(node.median_ms);
    json.EndObject();
  }
  json.EndArray();
  json.Key("operators");
  json.StartArray();
  for (const OperatorTime& op : Operators()) {
    json.StartObject();
    json.Key("op");
    json.String(op.op.c_str(), static_cast<rapidjson::SizeType>(op.op.size()));
    json.Key("nodes");
    json.Uint64(op.nodes);
    json.Key("median_ms");
    json.Double(op.median_ms);
    json.Key("share");
    json.Double(op.share);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return buffer.GetString();
}

}  // namespace kiln::tools
