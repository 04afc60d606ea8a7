// `disthub serve` as a child process: the demo runs the real server this way so it can
// kill it with SIGKILL mid-traffic and start it again on the same port and store.
//
//   HubChild hub({.binary = "/proc/self/exe", .config_file = dir + "/hub.yaml",
//                 .env = {{"HARBOR_OPS_KEY", key}}, .log_file = dir + "/hub.log"});
//   DISTHUB_RETURN_IF_ERROR(hub.Start());     // port from the configuration (0: any)
//   hub.Kill();                               // SIGKILL: nothing is flushed
//   DISTHUB_RETURN_IF_ERROR(hub.Start());     // the same port again
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace disthub {

struct HubChildOptions {
  std::string binary;                      // the disthub executable
  std::string config_file;                 // passed as --config
  std::map<std::string, std::string> env;  // set in the child's environment (API keys)
  std::string log_file;                    // the child's stderr (its log), appended
  std::vector<std::string> extra_args;     // after `serve --config FILE` on every start
  absl::Duration start_timeout = absl::Seconds(30);
};

// Not thread-safe. The child is killed with SIGKILL when this process dies.
class HubChild {
 public:
  explicit HubChild(HubChildOptions options) : options_(std::move(options)) {}
  ~HubChild();  // Kill()
  HubChild(const HubChild&) = delete;
  HubChild& operator=(const HubChild&) = delete;

  // Starts `disthub serve` and waits for its "disthub listening on URL" line. After the
  // first start, later ones pass --listen with the same address, so clients and partners
  // find the hub where it was.
  absl::Status Start();
  // SIGKILL, then waits for it.
  void Kill();
  // SIGTERM, then waits; the exit status (128 + signal when killed by one), -1 when not
  // running.
  int Stop();

  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }

 private:
  HubChildOptions options_;
  std::string url_;
  std::string listen_;  // HOST:PORT of the first start
  pid_t pid_ = -1;
};

}  // namespace disthub
