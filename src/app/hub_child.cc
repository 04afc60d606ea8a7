#include "app/hub_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/files.h"
#include "base/strings.h"

namespace disthub {

HubChild::~HubChild() { Kill(); }

absl::Status HubChild::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("the hub is already running");
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe() failed");
  std::vector<std::string> args = {options_.binary, "serve", "--config", options_.config_file};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (!listen_.empty()) {
    args.push_back("--listen");
    args.push_back(listen_);
  }
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork() failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the demo
    dup2(out[1], STDOUT_FILENO);
    int err = open(options_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    close(out[0]);
    for (const auto& [name, value] : options_.env) setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(options_.binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(options_.start_timeout);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  while (std::chrono::steady_clock::now() < deadline) {
    char c;
    ssize_t n = read(out[0], &c, 1);
    if (n == 1) {
      if (c == '\n') break;
      line.push_back(c);
    } else if (n == 0) {
      break;  // it exited
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  close(out[0]);
  constexpr std::string_view kPrefix = "disthub listening on ";
  if (!std::string_view(line).starts_with(kPrefix)) {
    Kill();
    std::string log;
    if (absl::StatusOr<std::string> text = ReadFile(options_.log_file); text.ok()) {
      log = text->size() > 2000 ? text->substr(text->size() - 2000) : *text;
    }
    return absl::InternalError(StrCat("disthub serve did not start", line.empty() ? "" : ": ", line,
                                      "; the end of its log (", options_.log_file, "):\n", log));
  }
  url_ = line.substr(kPrefix.size());
  if (listen_.empty()) listen_ = url_.substr(url_.find("://") + 3);
  return absl::OkStatus();
}

void HubChild::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int HubChild::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace disthub
