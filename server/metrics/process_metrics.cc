#include "server/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kiln::server {
namespace {

double BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  while (stat >> key) {
    if (key == "btime") {
      double value = -1;
      stat >> value;
      return value;
    }
    stat.ignore(1 << 20, '\n');
  }
  return -1;
}

// Field 22 of /proc/self/stat: start time in clock ticks after boot.
double StartTicksAfterBoot() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) return -1;
  const size_t paren = line.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return -1;
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  // After ')': field 3 (state) onwards; field 22 is the 20th of these.
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return -1;
  }
  try {
    return std::stod(field);
  } catch (...) {
    return -1;
  }
}

}  // namespace

ProcessMetrics ReadProcessMetrics() {
  ProcessMetrics metrics;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    metrics.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (std::ifstream statm("/proc/self/statm"); statm) {
    double size_pages = 0, resident_pages = 0;
    if (statm >> size_pages >> resident_pages) {
      metrics.virtual_bytes = size_pages * page_size;
      metrics.resident_bytes = resident_pages * page_size;
    }
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec) metrics.open_fds = fds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    metrics.max_fds = static_cast<double>(limit.rlim_cur);
  }
  const double boot = BootTimeSeconds();
  const double ticks = StartTicksAfterBoot();
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (boot >= 0 && ticks >= 0 && ticks_per_second > 0) metrics.start_time_seconds = boot + ticks / ticks_per_second;
  return metrics;
}

}  // namespace kiln::server
