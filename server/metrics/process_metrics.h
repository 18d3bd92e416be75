// ProcessMetrics: what the kernel says about this process, for the standard
// Prometheus process_* gauges: CPU time (getrusage), resident and virtual
// memory (/proc/self/statm), open and maximum file descriptors
// (/proc/self/fd, RLIMIT_NOFILE) and the start time (/proc/self/stat and
// /proc/stat's btime). Values that cannot be read stay at -1. Thread-safe.
#pragma once

#include <cstdint>

namespace kiln::server {

struct ProcessMetrics {
  double cpu_seconds = -1;          // user + system
  double resident_bytes = -1;
  double virtual_bytes = -1;
  double open_fds = -1;
  double max_fds = -1;
  double start_time_seconds = -1;  // since the Unix epoch
};

ProcessMetrics ReadProcessMetrics();

}  // namespace kiln::server
