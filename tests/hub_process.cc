#include "hub_process.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/auth.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace disthub::testing {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return Env("DISTHUB_SOURCE_DIR", DISTHUB_DEFAULT_SOURCE_DIR) + "/" + relative;
}

HubProcess::HubProcess(const std::string& extra_yaml, const std::string& b2b_portal_yaml,
                       const std::string& extra_channels_yaml) {
  char tmpl[] = "/tmp/disthub-it-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) folder_ = tmpl;
  std::ofstream(folder_ + "/hub.yaml") << StrCat(R"(
server:
  listen: 127.0.0.1:0
  io_threads: 2
  max_body_bytes: 65536
store:
  data_dir: )",
                                                 folder_, R"(/data
  synchronous: full
catalog:
  products_file: )",
                                                 SourcePath("examples/harbor-products.csv"), R"(
channels:
  - name: b2b-portal
    currencies: [USD, CAD]
)",
                                                 b2b_portal_yaml, R"(
  - name: dtc-web
    allocation: {share_percent: 50, holdback: 1, exclude_locations: [3pl-central]}
    inventory_feed: {per_minute: 600, burst: 2}
    fulfillment: {ship_complete: preferred, status_updates: [released, shipped, cancelled]}
)",
                                                 extra_channels_yaml, R"(
partners:
  - name: writer
    scopes: [orders:write, orders:read]
    api_keys:
      - id: k
        key_env: TEST_WRITER_KEY
  - name: portal
    scopes: [orders:write, orders:read]
    channels: [b2b-portal]
    api_keys:
      - id: k
        key_env: TEST_PORTAL_KEY
  - name: reader
    scopes: [orders:read, events:read]
    api_keys:
      - id: k
        key_env: TEST_READER_KEY
  - name: hashed
    scopes: [orders:read]
    api_keys:
      - id: k
        key_sha256: )",
                                                 Sha256Hex(kHashedKey), R"(
  - name: ops
    scopes: [events:read, operations:write]
    api_keys:
      - id: k
        key_env: TEST_OPS_KEY
  - name: wms
    scopes: [inventory:read, inventory:write, fulfillment:write]
    api_keys:
      - id: k
        key_env: TEST_INVENTORY_KEY
)",
                                                 extra_yaml, "\n");
}

HubProcess::~HubProcess() {
  Kill();
  if (!folder_.empty()) std::filesystem::remove_all(folder_);
}

absl::Status HubProcess::Start(const std::vector<std::string>& extra_args) {
  if (child_ != nullptr && child_->pid() > 0) return absl::FailedPreconditionError("running");
  child_ = std::make_unique<HubChild>(
      HubChildOptions{.binary = Env("DISTHUB_BINARY", DISTHUB_DEFAULT_BINARY),
                      .config_file = folder_ + "/hub.yaml",
                      .env = {{"TEST_WRITER_KEY", kWriterKey},
                              {"TEST_PORTAL_KEY", kPortalKey},
                              {"TEST_READER_KEY", kReaderKey},
                              {"TEST_INVENTORY_KEY", kInventoryKey},
                              {"TEST_OPS_KEY", kOpsKey}},
                      .log_file = folder_ + "/stderr.log",
                      .extra_args = extra_args});
  DISTHUB_RETURN_IF_ERROR(child_->Start());
  url_ = child_->url();
  return absl::OkStatus();
}

void HubProcess::Kill() {
  if (child_ != nullptr) child_->Kill();
}

int HubProcess::Stop() { return child_ != nullptr ? child_->Stop() : -1; }

pid_t HubProcess::pid() const { return child_ != nullptr ? child_->pid() : -1; }

std::string HubProcess::Stderr() const {
  auto text = ReadFile(folder_ + "/stderr.log");
  return text.ok() ? *text : std::string(text.status().message());
}

}  // namespace disthub::testing
