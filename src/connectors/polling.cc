#include "connectors/polling.h"

#include "base/thread_name.h"

namespace disthub::connectors {

void PollingLoop::Start(std::function<void()> poll) {
  std::lock_guard lock(mu_);
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this, poll = std::move(poll)] {
    NameThisThread(thread_name_);
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      poll();
      lock.lock();
      ++polls_;
      wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stopping_; });
    }
  });
}

void PollingLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

bool PollingLoop::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool PollingLoop::Sleep(absl::Duration d) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, absl::ToChronoMilliseconds(d), [this] { return stopping_; });
}

int64_t PollingLoop::polls() const {
  std::lock_guard lock(mu_);
  return polls_;
}

}  // namespace disthub::connectors
