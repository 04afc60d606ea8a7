// The loop of a connector that works by looking again and again (a watched folder, a
// marketplace that is asked for orders): one worker thread calling `poll` every
// `interval` until Stop(), woken early to stop.
//
//   PollingLoop loop_{"dh-poller", absl::Seconds(60)};
//   loop_.Start([this] { PollOnce(); });     // in Connector::Start()
//   ... if (!loop_.Sleep(retry_after)) return;   // inside a poll: false once stopping
//   loop_.Stop();                            // in Connector::Stop() and the destructor
//
// Thread-safety: every method may be called from any thread; Stop() from the worker only
// asks it to stop.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace disthub::connectors {

class PollingLoop {
 public:
  PollingLoop(std::string thread_name, absl::Duration interval)
      : thread_name_(std::move(thread_name)), interval_(interval) {}
  ~PollingLoop() { Stop(); }
  PollingLoop(const PollingLoop&) = delete;
  PollingLoop& operator=(const PollingLoop&) = delete;

  // Starts the worker (nothing when it runs already): `poll` at once, then every interval.
  void Start(std::function<void()> poll);
  // Finishes the poll in hand and joins the worker; idempotent, safe without Start().
  void Stop();
  bool stopping() const;
  // Waits `d` unless stopped first: false when stopped.
  bool Sleep(absl::Duration d);
  // Polls finished so far.
  int64_t polls() const;

 private:
  const std::string thread_name_;
  const absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int64_t polls_ = 0;
  std::thread worker_;
};

}  // namespace disthub::connectors
