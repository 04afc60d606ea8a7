// The real `disthub` binary run as users run it, for tests of its commands: exit status,
// standard output and standard error apart.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace disthub::testing {

struct CliRun {
  int status;  // the exit status; -1 if it did not exit
  std::string out, err;
};

// The binary: $DISTHUB_BINARY, else the build's.
inline std::string DisthubBinary() {
  const char* env = std::getenv("DISTHUB_BINARY");
  return env && *env ? env : DISTHUB_DEFAULT_BINARY;
}

// A file of the source tree: $DISTHUB_SOURCE_DIR/RELATIVE, else the build's source dir.
inline std::string Source(const std::string& relative) {
  const char* dir = std::getenv("DISTHUB_SOURCE_DIR");
  return std::string(dir != nullptr && *dir ? dir : DISTHUB_DEFAULT_SOURCE_DIR) + "/" + relative;
}

// Runs `disthub ARGS` (a shell command line) with `stdin_text` on its standard input.
inline CliRun RunDisthub(const std::string& args, const std::string& stdin_text = "") {
  char err_file[] = "/tmp/disthub-cli-XXXXXX";
  const int fd = mkstemp(err_file);
  if (fd < 0) return {-1, "", "mkstemp failed"};
  close(fd);
  std::string command = DisthubBinary() + " " + args + " 2>" + err_file;
  if (!stdin_text.empty()) command = "printf '%s' '" + stdin_text + "' | " + command;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {-1, "", "popen failed"};
  CliRun r;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (FILE* f = std::fopen(err_file, "r")) {
    while (size_t n = fread(buf, 1, sizeof buf, f)) r.err.append(buf, n);
    std::fclose(f);
  }
  std::remove(err_file);
  return r;
}

}  // namespace disthub::testing
