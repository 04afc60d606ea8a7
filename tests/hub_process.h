// Runs the real `disthub serve` as a child process for integration tests: its own
// configuration and data folder under /tmp, port 0, keys handed over in its
// environment. The binary comes from $DISTHUB_BINARY (set by ctest).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "app/hub_child.h"

namespace disthub::testing {

// Keys of the test configuration (see kTestConfig in hub_process.cc).
inline constexpr char kWriterKey[] = "writer-key-000000000001";  // orders:write+read, every channel
inline constexpr char kPortalKey[] =
    "portal-key-000000000002";  // orders:write+read, b2b-portal only
inline constexpr char kReaderKey[] = "reader-key-000000000003";  // orders:read, events:read
inline constexpr char kHashedKey[] =
    "hashed-key-000000000004";                                  // orders:read, configured by digest
inline constexpr char kOpsKey[] = "ops-key-00000000000000005";  // events:read, operations:write
inline constexpr char kInventoryKey[] =
    "wms-key-00000000000000006";  // inventory:read+write, fulfillment:write

class HubProcess {
 public:
  // Makes a fresh folder with a configuration; `extra_yaml` (top-level sections such as
  // `subscribers:`) is appended to it, and `b2b_portal_yaml` (keys of the b2b-portal
  // channel, indented four spaces, such as `    fulfillment: {...}`) to that channel, and
  // `extra_channels_yaml` (whole entries of the channels list, `  - name: ...`) to the list.
  explicit HubProcess(const std::string& extra_yaml = "", const std::string& b2b_portal_yaml = "",
                      const std::string& extra_channels_yaml = "");
  ~HubProcess();  // kills the process (if running) and removes the folder

  // Starts `disthub serve` on the folder's store and waits for its address.
  absl::Status Start(const std::vector<std::string>& extra_args = {});
  // SIGKILL, then wait: nothing gets a chance to flush.
  void Kill();
  // SIGTERM, then wait; returns the exit status.
  int Stop();

  const std::string& url() const { return url_; }
  const std::string& folder() const { return folder_; }
  pid_t pid() const;
  // What the process wrote to stderr so far.
  std::string Stderr() const;

 private:
  std::string folder_;
  std::string url_;
  std::unique_ptr<HubChild> child_;
};

// The path of a file in the source tree ($DISTHUB_SOURCE_DIR).
std::string SourcePath(const std::string& relative);

}  // namespace disthub::testing
