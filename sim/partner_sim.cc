#include "sim/partner_sim.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/listen.h"
#include "base/strings.h"
#include "fmt/format.h"

namespace disthub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kControlPrefix = "/_sim/";

// Room a connection's read buffer starts with: a whole request usually arrives in one read.
constexpr size_t kReadBufferBytes = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string JsonString(std::string_view s) {
  return json::serialize(json::string_view(s.data(), s.size()));
}

// An RFC 9457 problem document.
std::string ProblemJson(int status, std::string_view title, std::string_view detail) {
  return StrCat("{\"type\":\"about:blank\",\"title\":", JsonString(title), ",\"status\":", status,
                ",\"detail\":", JsonString(detail), "}");
}

// The value of `name` in a query string "a=1&b=2", or nullopt. No percent-decoding:
// the control API's parameters are numbers.
std::optional<std::string_view> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<double> ParseNumber(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(d)) return std::nullopt;
  return d;
}

// Headers never recorded with "*": they describe the connection, not the message.
bool IsHopHeader(std::string_view lower) {
  return lower == "host" || lower == "content-length" || lower == "connection" ||
         lower == "transfer-encoding" || lower == "expect" || lower == "keep-alive";
}

// What to do with one partner request.
struct Verdict {
  enum Kind { kAnswer, kReset, kHold, kClose } kind = kAnswer;
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  int retry_after = -1;                 // a Retry-After header when >= 0
  std::vector<std::pair<std::string, std::string>> headers;  // more (a handler's)
  std::chrono::milliseconds delay{0};   // answer after this long
  std::chrono::milliseconds hold{0};    // kHold: close after this long
};

// A control API answer.
struct ControlAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::optional<absl::Duration> go_down;  // POST /_sim/down: go down after answering
};

class PartnerSimImpl;

// One connection, plain or TLS (Session<Stream> below).
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Closes gracefully (FIN). Idempotent.
  virtual void Close() = 0;
};

// One event loop and the connections it serves.
struct Loop {
  asio::io_context ctx{1};
  // Open connections; touched only on this loop's thread. Declared after ctx so that
  // it is destroyed first: destroying ctx destroys the sessions, which never touch it.
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
};

// Set on the sim's own threads, so GoDown() knows not to wait for itself.
thread_local const void* tls_running_sim = nullptr;

class PartnerSimImpl final : public PartnerSim {
 public:
  PartnerSimImpl(PartnerSimOptions options, std::string host, int port);
  ~PartnerSimImpl() override { Stop(); }

  // Loads the certificate and key when the options name them.
  absl::Status LoadTls();
  absl::Status Listen();

  int port() const override { return port_; }
  std::string url() const override {
    return StrCat(tls_ ? "https://" : "http://", url_host_, ":", port_.load());
  }
  PartnerSimStats Stats() const override;
  std::vector<PartnerMessage> Messages(uint64_t after, size_t limit) const override;
  void Clear() override;
  absl::Status SetFaults(const PartnerFaults& faults) override;
  PartnerFaults Faults() const override;
  void GoDown(absl::Duration d) override;
  void Stop() override;

  // For sessions, on their loop's thread.
  const PartnerSimOptions& options() const { return options_; }
  bool down() const { return down_.load(std::memory_order_relaxed); }
  // May take the request's body.
  Verdict Decide(http::request<http::string_body>& req);
  ControlAnswer Control(http::verb method, std::string_view target, const std::string& body);
  // Goes down for `d` without waiting; any thread.
  void StartDown(absl::Duration d);

 private:
  // On loop 0.
  void Accept();
  void BeginDown(SteadyClock::duration d);
  void ArmUpTimer();
  void Relisten();
  absl::Status OpenAcceptor();
  // Replaces the pending down windows with `windows`, counted from now.
  void ScheduleDownWindows(const std::vector<PartnerDownWindow>& windows);
  // On each loop: closes its open connections.
  static void CloseAll(Loop& loop);

  bool Draw(double rate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeToken() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordHeaders(const http::request<http::string_body>& req,
                     std::vector<std::pair<std::string, std::string>>& out) const;

  const PartnerSimOptions options_;
  const std::string host_;
  const std::string url_host_;  // host_, bracketed when IPv6
  std::atomic<int> port_;  // the same before and after a down period
  Clock* const clock_;
  bool record_all_headers_ = false;
  std::vector<std::string> record_headers_;  // lower case
  std::optional<asio::ssl::context> tls_;    // set: HTTPS only

  // Everything a request reads or changes.
  mutable std::mutex mu_;
  PartnerFaults faults_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  double tokens_ ABSL_GUARDED_BY(mu_) = 0;
  SteadyClock::time_point refilled_ ABSL_GUARDED_BY(mu_);
  struct KeyInfo {
    uint64_t seq;
    size_t body_hash;
  };
  absl::flat_hash_map<std::string, KeyInfo> keys_ ABSL_GUARDED_BY(mu_);
  std::deque<PartnerMessage> messages_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  PartnerSimStats stats_ ABSL_GUARDED_BY(mu_);

  // Threads: loops_[0] also owns the acceptor and the down state below.
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::optional<tcp::acceptor> acceptor_;           // loop 0 only
  std::optional<asio::steady_timer> up_timer_;      // loop 0 only
  std::vector<std::unique_ptr<asio::steady_timer>> window_timers_;  // loop 0 only
  SteadyClock::time_point down_until_;              // loop 0 only
  uint64_t accept_generation_ = 0;                  // loop 0 only
  bool listening_ = false;                          // loop 0 only (and Listen())
  size_t next_loop_ = 0;                            // loop 0 only
  std::atomic<bool> down_{false};
  std::atomic<bool> stopped_{false};
};

// One connection over `Stream`: beast::tcp_stream, or TlsStream (the TLS handshake comes
// first). Lives on one loop; all its methods run on that loop's thread.
template <class Stream>
class Session final : public SessionBase {
 public:
  // `stream_args`: the accepted socket, and for TLS the sim's context.
  template <class... StreamArgs>
  Session(PartnerSimImpl* sim, Loop* loop, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        timer_(stream_.get_executor()),
        sim_(sim),
        loop_(loop) {
    beast::error_code ec;
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    // Beast reads as much as the buffer has room for, at least 512 bytes: without room,
    // a typical message takes several recvmsg calls.
    buffer_.reserve(kReadBufferBytes);
  }

  void Start() override {
    if (sim_->down()) return Close();
    loop_->sessions.emplace(this, weak_from_this());
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Lowest().expires_after(std::chrono::seconds(sim_->options().idle_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = Self()](beast::error_code ec) {
                                if (self->closed_) return;
                                // A client that does not trust our certificate ends here.
                                if (ec) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

  // Closes without a TLS close_notify: a client of a simulator needs none.
  void Close() override {
    if (closed_) return;
    closed_ = true;
    loop_->sessions.erase(this);
    timer_.cancel();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().socket().close(ec);
  }

  // Closes with a TCP RST (SO_LINGER 0) without answering.
  void Reset() {
    if (closed_) return;
    beast::error_code ec;
    Lowest().socket().set_option(asio::socket_base::linger(true, 0), ec);
    closed_ = true;
    loop_->sessions.erase(this);
    timer_.cancel();
    Lowest().socket().close(ec);
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(sim_->options().max_body_bytes));
    parser_->header_limit(64 * 1024);
    Lowest().expires_after(std::chrono::seconds(sim_->options().idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
      return Answer(413, "application/problem+json",
                    ProblemJson(413, "Request body too large",
                                StrCat("the body exceeds max_body_bytes (",
                                       sim_->options().max_body_bytes, ")")),
                    false);
    }
    if (ec == http::error::header_limit) {
      return Answer(431, "application/problem+json",
                    ProblemJson(431, "Request headers too large", "over 64 KiB of headers"), false);
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) {
      return Answer(400, "application/problem+json",
                    ProblemJson(400, "Malformed HTTP request", ec.message()), false);
    }
    Lowest().expires_never();
    http::request<http::string_body>& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    std::string_view target = req.target();
    if (target.starts_with(kControlPrefix) || target == "/_sim") {
      ControlAnswer a = sim_->Control(req.method(), target, req.body());
      if (a.go_down) {
        // Answer first; this connection is left out of the closing that going down does.
        loop_->sessions.erase(this);
        sim_->StartDown(*a.go_down);
        return Answer(a.status, a.content_type, std::move(a.body), false);
      }
      return Answer(a.status, a.content_type, std::move(a.body), keep_alive_);
    }
    Verdict v = sim_->Decide(req);
    switch (v.kind) {
      case Verdict::kClose:
        return Close();
      case Verdict::kReset:
        return Reset();
      case Verdict::kHold:
        return Hold(v.hold);
      case Verdict::kAnswer:
        break;
    }
    Prepare(v.status, v.content_type, std::move(v.body), keep_alive_);
    if (v.retry_after >= 0) res_.set(http::field::retry_after, std::to_string(v.retry_after));
    for (const auto& [name, value] : v.headers) res_.set(name, value);
    if (v.delay.count() > 0) {
      timer_.expires_after(v.delay);
      timer_.async_wait([self = Self()](beast::error_code ec) {
        if (ec || self->closed_) return;
        self->Write();
      });
      return;
    }
    Write();
  }

  // Takes the request and never answers: drains what the client sends until it closes
  // the connection or `hold` has passed.
  void Hold(std::chrono::milliseconds hold) {
    Lowest().expires_after(hold);
    Drain();
  }
  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = Self()](beast::error_code ec, size_t) {
                              if (ec || self->closed_) return self->Close();
                              self->Drain();
                            });
  }

  void Answer(int status, std::string_view content_type, std::string body, bool keep_alive) {
    Prepare(status, content_type, std::move(body), keep_alive);
    Write();
  }

  void Prepare(int status, std::string_view content_type, std::string body, bool keep_alive) {
    res_ = {};
    res_.result(static_cast<http::status>(status));
    res_.version(version_);
    res_.set(http::field::server, "disthub-partner-sim");
    res_.set(http::field::content_type, content_type);
    res_.body() = std::move(body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
  }

  void Write() {
    Lowest().expires_after(std::chrono::seconds(sim_->options().idle_timeout_seconds));
    http::async_write(stream_, res_, [self = Self()](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec || !self->res_.keep_alive()) return self->Close();
      self->Read();
    });
  }

  Stream stream_;
  asio::steady_timer timer_;  // slow answers
  PartnerSimImpl* sim_;
  Loop* loop_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::array<char, 4096> drain_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool closed_ = false;
};

PartnerSimImpl::PartnerSimImpl(PartnerSimOptions options, std::string host, int port)
    : options_(std::move(options)),
      host_(std::move(host)),
      url_host_(host_.find(':') != std::string::npos ? StrCat("[", host_, "]") : host_),
      port_(port),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
      faults_(options_.faults),
      rng_(options_.seed) {
  for (const std::string& h : options_.record_headers) {
    if (h == "*") {
      record_all_headers_ = true;
    } else {
      record_headers_.push_back(Lower(h));
    }
  }
  tokens_ = faults_.quota.burst > 0 ? faults_.quota.burst : faults_.quota.rate;
  refilled_ = SteadyClock::now();
  const int n = std::max(1, options_.io_threads);
  for (int i = 0; i < n; ++i) {
    loops_.push_back(std::make_unique<Loop>());
    guards_.emplace_back(asio::make_work_guard(loops_.back()->ctx));
  }
  acceptor_.emplace(loops_[0]->ctx);
  up_timer_.emplace(loops_[0]->ctx);
}

absl::Status PartnerSimImpl::OpenAcceptor() {
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(host_, ec), static_cast<unsigned short>(port_));
  if (!ec) acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_->close(ignored);
    return absl::UnavailableError(StrCat("cannot listen on ", url_host_, ":", port_.load(), ": ", ec.message()));
  }
  port_ = acceptor_->local_endpoint().port();
  return absl::OkStatus();
}

absl::Status PartnerSimImpl::LoadTls() {
  if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) {
    if (!options_.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("tls.client_ca_file: needs cert_file and key_file");
    }
    return absl::OkStatus();
  }
  if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("tls: give both cert_file and key_file");
  }
  tls_.emplace(asio::ssl::context::tls_server);
  tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(StrCat("tls.cert_file: cannot load ", options_.tls_cert_file,
                                             " as a PEM certificate chain: ", ec.message()));
  }
  tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(StrCat("tls.key_file: cannot load ", options_.tls_key_file,
                                             " as an unencrypted PEM private key matching the "
                                             "certificate: ", ec.message()));
  }
  if (!options_.tls_client_ca_file.empty()) {
    tls_->load_verify_file(options_.tls_client_ca_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(StrCat("tls.client_ca_file: cannot load ",
                                               options_.tls_client_ca_file,
                                               " as PEM CA certificates: ", ec.message()));
    }
    tls_->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  return absl::OkStatus();
}

absl::Status PartnerSimImpl::Listen() {
  if (absl::Status s = OpenAcceptor(); !s.ok()) return s;
  listening_ = true;
  Accept();
  for (auto& loop : loops_) {
    threads_.emplace_back([this, l = loop.get()] {
      tls_running_sim = this;
      l->ctx.run();
    });
  }
  asio::post(loops_[0]->ctx, [this, windows = options_.faults.down] {
    ScheduleDownWindows(windows);
  });
  return absl::OkStatus();
}

void PartnerSimImpl::Accept() {
  const uint64_t generation = accept_generation_;
  Loop& target = *loops_[next_loop_++ % loops_.size()];
  acceptor_->async_accept(target.ctx, [this, generation, &target](beast::error_code ec,
                                                                  tcp::socket socket) {
    if (ec == asio::error::operation_aborted || generation != accept_generation_ ||
        !acceptor_->is_open()) {
      return;  // the socket, if any, closes here: we are going down or stopping
    }
    if (!ec) {
      std::shared_ptr<SessionBase> session;
      if (tls_) {
        session = std::make_shared<Session<TlsStream>>(this, &target, std::move(socket), *tls_);
      } else {
        session = std::make_shared<Session<beast::tcp_stream>>(this, &target, std::move(socket));
      }
      asio::post(target.ctx, [session] { session->Start(); });
    }
    Accept();
  });
}

void PartnerSimImpl::CloseAll(Loop& loop) {
  auto sessions = std::move(loop.sessions);
  loop.sessions.clear();
  for (auto& [raw, weak] : sessions) {
    if (auto s = weak.lock()) s->Close();
  }
}

void PartnerSimImpl::StartDown(absl::Duration d) {
  if (stopped_.load()) return;
  down_.store(true);  // requests already read on open connections are closed from now
  auto span = std::chrono::duration_cast<SteadyClock::duration>(absl::ToChronoNanoseconds(d));
  asio::post(loops_[0]->ctx, [this, span] { BeginDown(span); });
}

void PartnerSimImpl::GoDown(absl::Duration d) {
  if (stopped_.load()) return;
  down_.store(true);
  auto span = std::chrono::duration_cast<SteadyClock::duration>(absl::ToChronoNanoseconds(d));
  if (tls_running_sim == this) {
    asio::post(loops_[0]->ctx, [this, span] { BeginDown(span); });
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  asio::post(loops_[0]->ctx, [this, span, done] {
    BeginDown(span);
    done->set_value();
  });
  done->get_future().wait_for(std::chrono::seconds(5));
}

void PartnerSimImpl::BeginDown(SteadyClock::duration d) {
  if (stopped_.load()) return;
  // down_until_ is in the past unless a down period is running: extend, never shorten.
  down_until_ = std::max(down_until_, SteadyClock::now() + d);
  const bool was_listening = listening_;
  down_.store(true);
  if (was_listening) {
    ++accept_generation_;
    listening_ = false;
    // Stop listening but keep the port bound: connections are refused, and no other
    // socket (a client whose ephemeral port is this port, connecting to itself) can take
    // the port while we are down. shutdown() on a listening socket returns it to the
    // closed state on Linux.
    acceptor_->cancel();
    ::shutdown(acceptor_->native_handle(), SHUT_RD);
    spdlog::info("partner-sim: down for {:.3f}s (connections refused)",
                 std::chrono::duration<double>(d).count());
  }
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->ctx, [l] { CloseAll(*l); });
  }
  ArmUpTimer();
}

void PartnerSimImpl::ArmUpTimer() {
  up_timer_->expires_at(down_until_);
  up_timer_->async_wait([this](beast::error_code ec) {
    if (ec || stopped_.load()) return;
    if (SteadyClock::now() < down_until_) return ArmUpTimer();
    Relisten();
  });
}

void PartnerSimImpl::Relisten() {
  // The old socket held the port while down; a fresh one takes over at once (an epoll
  // registration does not survive the old socket's shutdown reliably).
  beast::error_code ignored;
  acceptor_->close(ignored);
  absl::Status relisten = OpenAcceptor();
  if (!relisten.ok()) {
    spdlog::warn("partner-sim: {}; retrying", relisten.message());
    down_until_ = SteadyClock::now() + std::chrono::milliseconds(50);
    return ArmUpTimer();
  }
  down_.store(false);
  listening_ = true;
  Accept();
  spdlog::info("partner-sim: up again on port {}", port_.load());
}

void PartnerSimImpl::ScheduleDownWindows(const std::vector<PartnerDownWindow>& windows) {
  window_timers_.clear();  // cancels those still pending
  if (stopped_.load()) return;
  for (const PartnerDownWindow& w : windows) {
    auto after = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(w.after_seconds));
    auto span = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(w.for_seconds));
    window_timers_.push_back(std::make_unique<asio::steady_timer>(loops_[0]->ctx, after));
    window_timers_.back()->async_wait([this, span](beast::error_code ec) {
      if (ec) return;
      BeginDown(span);
    });
  }
}

bool PartnerSimImpl::Draw(double rate) {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

bool PartnerSimImpl::TakeToken() {
  const PartnerQuota& q = faults_.quota;
  if (q.rate <= 0) return true;
  const double cap = q.burst > 0 ? q.burst : q.rate;
  const auto now = SteadyClock::now();
  tokens_ = std::min(cap, tokens_ + q.rate * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void PartnerSimImpl::RecordHeaders(const http::request<http::string_body>& req,
                                   std::vector<std::pair<std::string, std::string>>& out) const {
  if (!record_all_headers_ && record_headers_.empty()) return;
  for (const auto& field : req) {
    std::string name = Lower(field.name_string());
    if (record_all_headers_) {
      if (IsHopHeader(name)) continue;
    } else if (std::find(record_headers_.begin(), record_headers_.end(), name) ==
               record_headers_.end()) {
      continue;
    }
    out.emplace_back(std::move(name), std::string(field.value()));
  }
}

Verdict PartnerSimImpl::Decide(http::request<http::string_body>& req) {
  Verdict v;
  if (down()) {
    v.kind = Verdict::kClose;
    return v;
  }
  const http::verb method = req.method();
  const std::string_view key = req[options_.key_header];
  const bool writes = method == http::verb::post || method == http::verb::put;
  // With a handler, the method and key checks wait until it has declined the request.
  const bool handled = static_cast<bool>(options_.handler);
  auto not_allowed = [&] {
    v.status = 405;
    v.content_type = "application/problem+json";
    v.body = ProblemJson(405, "Method not allowed", "the partner takes POST and PUT");
    return v;
  };
  if (!writes && !handled) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.received;
    return not_allowed();
  }
  auto missing_key = [&] {
    v.status = 400;
    v.content_type = "application/problem+json";
    v.body = ProblemJson(400, "Idempotency key missing",
                         StrCat("every message must carry a ", options_.key_header, " header"));
    return v;
  };
  if (key.empty() && !handled) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.received;
    ++stats_.missing_key;
    return missing_key();
  }
  const std::string_view body = req.body();
  const size_t body_hash = std::hash<std::string_view>{}(body);
  PartnerMessage message;  // filled outside the lock, moved in if first
  message.key = std::string(key);
  message.method = std::string(req.method_string());
  message.path = std::string(req.target());
  RecordHeaders(req, message.headers);

  enum class Outcome { kAccepted, kDuplicate, kAckLost } outcome;
  uint64_t seq = 0;
  std::optional<PartnerMessage> notify;  // for options_.on_message, called after the lock
  {
    std::unique_lock<std::mutex> lock(mu_);
    ++stats_.received;
    const PartnerFaults& f = faults_;
    if (Draw(f.reset_rate)) {
      ++stats_.faults.reset;
      v.kind = Verdict::kReset;
      return v;
    }
    if (Draw(f.timeout_rate)) {
      ++stats_.faults.timeout;
      v.kind = Verdict::kHold;
      v.hold = std::chrono::milliseconds(static_cast<int64_t>(f.timeout_hold_seconds * 1000));
      return v;
    }
    if (!TakeToken()) {
      ++stats_.faults.quota;
      v.status = 429;
      v.retry_after = f.quota.retry_after_seconds;
      v.content_type = "application/problem+json";
      v.body = ProblemJson(429, "Too many requests",
                           StrCat("quota of ", fmt::format("{}", f.quota.rate), " per second"));
      return v;
    }
    if (Draw(f.error_rate)) {
      ++stats_.faults.error;
      v.status = f.error_status;
      v.content_type = "application/problem+json";
      v.body = ProblemJson(f.error_status, "Injected error", "error_rate fault");
      return v;
    }
    for (const std::string& needle : f.reject.body_contains) {
      if (body.find(needle) != std::string_view::npos) {
        ++stats_.faults.rejected;
        v.status = f.reject.status;
        v.content_type = "application/problem+json";
        v.body = ProblemJson(f.reject.status, "Message rejected",
                             StrCat("the body contains \"", needle, "\""));
        return v;
      }
    }
    if (handled) {
      lock.unlock();
      std::optional<PartnerReply> reply = options_.handler(
          PartnerRequest{.method = req.method_string(),
                         .target = req.target(),
                         .key = key,
                         .body = body,
                         .if_none_match = req[http::field::if_none_match]});
      if (reply) {
        v.status = reply->status;
        v.content_type = std::move(reply->content_type);
        v.body = std::move(reply->body);
        v.headers = std::move(reply->headers);
        lock.lock();
        if (Draw(f.slow_rate)) {
          ++stats_.faults.slow;
          v.delay = std::chrono::milliseconds(f.slow_ms);
        }
        return v;
      }
      if (!writes) return not_allowed();
      lock.lock();
      if (key.empty()) {
        ++stats_.missing_key;
        return missing_key();
      }
    }
    auto [it, inserted] = keys_.try_emplace(message.key, KeyInfo{next_seq_, body_hash});
    if (inserted) {
      seq = next_seq_++;
      ++stats_.accepted;
      message.seq = seq;
      message.received_at = clock_->Now();
      if (options_.on_message) {
        // A copy: the hook sees the body whatever record_bodies says.
        notify.emplace(message);
        notify->body = std::string(body);
      }
      if (options_.max_messages > 0) {
        if (static_cast<int64_t>(messages_.size()) >= options_.max_messages) messages_.pop_front();
        if (options_.record_bodies) message.body = std::move(req.body());
        messages_.push_back(std::move(message));
      }
      outcome = Outcome::kAccepted;
      if (Draw(f.ack_loss_rate)) {
        ++stats_.faults.ack_loss;
        outcome = Outcome::kAckLost;
      }
    } else {
      seq = it->second.seq;
      ++stats_.duplicates;
      if (it->second.body_hash != body_hash) ++stats_.key_conflicts;
      outcome = Outcome::kDuplicate;
    }
    if (outcome != Outcome::kAckLost && Draw(f.slow_rate)) {
      ++stats_.faults.slow;
      v.delay = std::chrono::milliseconds(f.slow_ms);
    }
  }
  if (notify) options_.on_message(*notify);
  if (outcome == Outcome::kAckLost) {
    v.kind = Verdict::kReset;
    return v;
  }
  v.body = StrCat("{\"status\":\"", outcome == Outcome::kAccepted ? "accepted" : "duplicate",
                  "\",\"key\":", JsonString(key), ",\"seq\":", seq, "}");
  return v;
}

ControlAnswer PartnerSimImpl::Control(http::verb method, std::string_view target,
                                      const std::string& body) {
  ControlAnswer a;
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  auto problem = [&](int status, std::string_view title, std::string_view detail) {
    a.status = status;
    a.content_type = "application/problem+json";
    a.body = ProblemJson(status, title, detail);
    return a;
  };
  auto only = [&](http::verb allowed) {
    return method == allowed;
  };
  const std::string_view name = path.substr(std::min(path.size(), kControlPrefix.size()));
  if (name == "stats") {
    if (!only(http::verb::get)) return problem(405, "Method not allowed", "use GET");
    a.body = Stats().ToJson();
    return a;
  }
  if (name == "messages") {
    if (!only(http::verb::get)) return problem(405, "Method not allowed", "use GET");
    uint64_t after = 0;
    size_t limit = 1000;
    if (auto p = QueryParam(query, "after")) {
      auto n = ParseNumber(*p);
      if (!n || *n < 0) return problem(400, "Bad parameter", "after must be a sequence number");
      after = static_cast<uint64_t>(*n);
    }
    if (auto p = QueryParam(query, "limit")) {
      auto n = ParseNumber(*p);
      if (!n || *n < 1 || *n > 100'000) return problem(400, "Bad parameter", "limit must be 1 to 100000");
      limit = static_cast<size_t>(*n);
    }
    std::vector<PartnerMessage> page = Messages(after, limit + 1);
    const bool more = page.size() > limit;
    if (more) page.pop_back();
    json::array items;
    items.reserve(page.size());
    for (PartnerMessage& m : page) {
      json::object headers;
      for (auto& [k, val] : m.headers) headers[k] = val;
      items.push_back(json::object{{"seq", m.seq},
                                   {"key", m.key},
                                   {"method", m.method},
                                   {"path", m.path},
                                   {"received_at", disthub::FormatTime(m.received_at)},
                                   {"headers", std::move(headers)},
                                   {"body", m.body}});
    }
    const uint64_t next_after = page.empty() ? after : page.back().seq;
    a.body = json::serialize(json::object{
        {"messages", std::move(items)}, {"next_after", next_after}, {"more", more}});
    return a;
  }
  if (name == "faults") {
    if (method == http::verb::get) {
      a.body = PartnerFaultsToJson(Faults());
      return a;
    }
    if (method != http::verb::put) return problem(405, "Method not allowed", "use GET or PUT");
    auto faults = ParsePartnerFaults(body, "request body");
    if (!faults.ok()) return problem(400, "Invalid faults", View(faults.status().message()));
    if (absl::Status s = SetFaults(*faults); !s.ok()) {
      return problem(400, "Invalid faults", View(s.message()));
    }
    spdlog::info("partner-sim: faults replaced: {}", PartnerFaultsToJson(*faults));
    a.body = PartnerFaultsToJson(*faults);
    return a;
  }
  if (name == "down") {
    if (!only(http::verb::post)) return problem(405, "Method not allowed", "use POST");
    auto p = QueryParam(query, "seconds");
    std::optional<double> seconds = p ? ParseNumber(*p) : std::nullopt;
    if (!seconds || *seconds < 0 || *seconds > 86'400) {
      return problem(400, "Bad parameter", "seconds must be 0 to 86400, e.g. /_sim/down?seconds=2");
    }
    a.go_down = absl::Seconds(*seconds);
    a.body = StrCat("{\"down\":true,\"seconds\":", fmt::format("{}", *seconds), "}");
    return a;
  }
  if (name == "clear") {
    if (!only(http::verb::post)) return problem(405, "Method not allowed", "use POST");
    Clear();
    a.body = "{\"cleared\":true}";
    return a;
  }
  if (auto extra = options_.extra_control_json.find(std::string(name));
      extra != options_.extra_control_json.end()) {
    if (!only(http::verb::get)) return problem(405, "Method not allowed", "use GET");
    a.body = extra->second();
    return a;
  }
  std::string paths = "/_sim/stats, /_sim/messages, /_sim/faults, /_sim/down, /_sim/clear";
  for (const auto& [extra_name, fn] : options_.extra_control_json) {
    paths += StrCat(", /_sim/", extra_name);
  }
  return problem(404, "Not found", StrCat("control paths: ", paths));
}

PartnerSimStats PartnerSimImpl::Stats() const {
  PartnerSimStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = stats_;
  }
  s.down = down();
  return s;
}

std::vector<PartnerMessage> PartnerSimImpl::Messages(uint64_t after, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::upper_bound(messages_.begin(), messages_.end(), after,
                             [](uint64_t a, const PartnerMessage& m) { return a < m.seq; });
  std::vector<PartnerMessage> out;
  for (; it != messages_.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

void PartnerSimImpl::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  keys_.clear();
  messages_.clear();
  stats_ = PartnerSimStats();
}

absl::Status PartnerSimImpl::SetFaults(const PartnerFaults& faults) {
  if (absl::Status s = ValidatePartnerFaults(faults); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    faults_ = faults;
    tokens_ = faults.quota.burst > 0 ? faults.quota.burst : faults.quota.rate;
    refilled_ = SteadyClock::now();
  }
  if (!stopped_.load()) {
    asio::post(loops_[0]->ctx, [this, windows = faults.down] { ScheduleDownWindows(windows); });
  }
  return absl::OkStatus();
}

PartnerFaults PartnerSimImpl::Faults() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

void PartnerSimImpl::Stop() {
  if (stopped_.exchange(true)) return;
  if (threads_.empty()) return;
  asio::post(loops_[0]->ctx, [this] {
    ++accept_generation_;
    beast::error_code ec;
    acceptor_->close(ec);
    up_timer_->cancel();
    window_timers_.clear();
  });
  // Close every connection, then let the loops run out.
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    auto done = std::make_shared<std::promise<void>>();
    asio::post(l->ctx, [l, done] {
      CloseAll(*l);
      done->set_value();
    });
    done->get_future().wait_for(std::chrono::seconds(2));
  }
  guards_.clear();
  for (auto& loop : loops_) loop->ctx.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  up_timer_.reset();
  acceptor_.reset();
  loops_.clear();  // destroys pending handlers and with them the sessions
}

// "HOST:PORT" with a loopback host.
absl::StatusOr<std::pair<std::string, int>> SplitLoopbackListen(const std::string& listen) {
  auto split = SplitListen(listen);
  if (!split.ok()) return absl::InvalidArgumentError(StrCat("listen: ", split.status().message()));
  auto [host, port] = *std::move(split);
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("listen: \"", host, "\" is not an IP address"));
  if (!address.is_loopback()) {
    return absl::InvalidArgumentError(StrCat(
        "listen: \"", host, "\" is not a loopback address; the control API has no authentication, "
        "so the simulator binds only to 127.0.0.1 or ::1"));
  }
  return std::make_pair(host, static_cast<int>(port));
}

}  // namespace

PartnerReply ProblemReply(int status, std::string_view title, std::string_view detail) {
  return PartnerReply{.status = status,
                      .content_type = "application/problem+json",
                      .body = ProblemJson(status, title, detail)};
}

std::string PartnerSimStats::ToJson() const {
  return StrCat("{\"received\":", received, ",\"accepted\":", accepted, ",\"duplicates\":",
                duplicates, ",\"key_conflicts\":", key_conflicts, ",\"missing_key\":", missing_key,
                ",\"faults\":{\"error\":", faults.error, ",\"timeout\":", faults.timeout,
                ",\"reset\":", faults.reset, ",\"ack_loss\":", faults.ack_loss,
                ",\"slow\":", faults.slow, ",\"quota\":", faults.quota,
                ",\"rejected\":", faults.rejected, "},\"down\":", down ? "true" : "false", "}");
}

absl::StatusOr<std::unique_ptr<PartnerSim>> StartPartnerSim(const PartnerSimOptions& options) {
  auto listen = SplitLoopbackListen(options.listen);
  if (!listen.ok()) return listen.status();
  if (options.io_threads < 1 || options.io_threads > 64) {
    return absl::InvalidArgumentError("io_threads: must be 1 to 64");
  }
  if (options.key_header.empty()) return absl::InvalidArgumentError("key_header: must not be empty");
  if (options.max_body_bytes < 1024) {
    return absl::InvalidArgumentError("max_body_bytes: must be at least 1024");
  }
  if (options.idle_timeout_seconds < 1) {
    return absl::InvalidArgumentError("idle_timeout_seconds: must be at least 1");
  }
  if (options.max_messages < 0) return absl::InvalidArgumentError("max_messages: must not be negative");
  if (absl::Status s = ValidatePartnerFaults(options.faults); !s.ok()) return s;
  for (const auto& [name, fn] : options.extra_control_json) {
    if (name.empty() || name.find_first_of("/?") != std::string::npos || name == "stats" ||
        name == "messages" || name == "faults" || name == "down" || name == "clear" || !fn) {
      return absl::InvalidArgumentError(StrCat(
          "extra_control_json: \"", name, "\" is not a free control path name with a function"));
    }
  }
  auto sim = std::make_unique<PartnerSimImpl>(options, listen->first, listen->second);
  if (absl::Status s = sim->LoadTls(); !s.ok()) return s;
  if (absl::Status s = sim->Listen(); !s.ok()) return s;
  spdlog::info("partner-sim: listening on {} (key header {}, {} I/O threads)", sim->url(),
               options.key_header, options.io_threads);
  return sim;
}

}  // namespace disthub
