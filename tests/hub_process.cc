#include "hub_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/auth.h"
#include "base/files.h"
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

HubProcess::HubProcess(const std::string& extra_yaml, const std::string& b2b_portal_yaml) {
  char tmpl[] = "/tmp/disthub-it-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) folder_ = tmpl;
  std::ofstream(folder_ + "/hub.yaml") << StrCat(R"(
server:
  listen: 127.0.0.1:0
  io_threads: 2
  max_body_bytes: 65536
store:
  data_dir: )", folder_, R"(/data
  synchronous: full
catalog:
  products_file: )", SourcePath("examples/harbor-products.csv"), R"(
channels:
  - name: b2b-portal
    currencies: [USD, CAD]
)", b2b_portal_yaml, R"(
  - name: dtc-web
    allocation: {share_percent: 50, holdback: 1, exclude_locations: [3pl-central]}
    inventory_feed: {per_minute: 600, burst: 2}
    fulfillment: {ship_complete: preferred, status_updates: [released, shipped, cancelled]}
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
        key_sha256: )", Sha256Hex(kHashedKey), R"(
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
)", extra_yaml, "\n");
}

HubProcess::~HubProcess() {
  Kill();
  if (!folder_.empty()) std::filesystem::remove_all(folder_);
}

absl::Status HubProcess::Start(const std::vector<std::string>& extra_args) {
  std::string binary = Env("DISTHUB_BINARY", DISTHUB_DEFAULT_BINARY);
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    // Never outlive the test: if it dies without stopping us, so do we.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    int err = open((folder_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(err, STDERR_FILENO);
    close(out[0]);
    setenv("TEST_WRITER_KEY", kWriterKey, 1);
    setenv("TEST_PORTAL_KEY", kPortalKey, 1);
    setenv("TEST_READER_KEY", kReaderKey, 1);
    setenv("TEST_INVENTORY_KEY", kInventoryKey, 1);
    setenv("TEST_OPS_KEY", kOpsKey, 1);
    std::vector<std::string> args = {binary, "serve", "--config", folder_ + "/hub.yaml"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  // Read the "disthub listening on URL" line (up to 20 s).
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < deadline) {
    char c;
    ssize_t n = read(out[0], &c, 1);
    if (n == 1) {
      if (c == '\n') break;
      line.push_back(c);
    } else if (n == 0) {
      break;  // the process exited
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  close(out[0]);
  constexpr std::string_view kPrefix = "disthub listening on ";
  if (!std::string_view(line).starts_with(kPrefix)) {
    Kill();
    return absl::InternalError(StrCat("disthub serve did not start: ", line, "\n", Stderr()));
  }
  url_ = line.substr(kPrefix.size());
  return absl::OkStatus();
}

void HubProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int HubProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string HubProcess::Stderr() const {
  auto text = ReadFile(folder_ + "/stderr.log");
  return text.ok() ? *text : std::string(text.status().message());
}

}  // namespace disthub::testing
