// Each gateway method against anteroomd, against gRPC alone (anteroom-noop, the same gRPC
// server set-up with canned answers) and against the Redis peer, in the same run, with the
// same generator, at several depths of calls in flight.
#pragma once

#include <string>
#include <vector>

namespace anteroom::bench {

struct MethodsOptions {
  std::vector<std::string> methods = {"poll", "heartbeat", "admit"};
  std::vector<int> in_flight = {64, 512, 1024};
  double seconds = 5;                 // of load per row
  int64_t room_visitors = 1'000'000;  // poll: visitors waiting in the polled room
  int64_t sessions = 100'000;         // heartbeat: active sessions
  int connections = 4;                // HTTP/2 connections from the generator
  bool redis = true;                  // the Redis peer's rows
  bool replicated = true;             // anteroomd replicated over a 3-member etcd
  std::string anteroomd;              // binaries
  std::string noop;
  std::string table_out;  // also write the table here (Markdown); empty: no
  std::string plot_data;  // rows as tab-separated values for gnuplot; empty: no
};

// Prints the table and one final JSON line; 0 when every server started and answered.
int Methods(const MethodsOptions& options);

}  // namespace anteroom::bench
