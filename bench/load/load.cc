// disthub-load: a closed-loop HTTP/1.1 load generator for the intake benchmark.
//
// One thread and one Boost.Asio io_context drive N keep-alive connections, each with one
// request in flight, so the generator costs little of the CPU it shares with the server
// it measures. Requests are written by hand; a response is read up to its status line,
// headers and Content-Length body ("Connection: close" and HTTP/1.0 make it reconnect).
//
//   disthub-load --url http://127.0.0.1:8080/v1/orders --mode orders --connections 32
//                --warmup 2 --duration 10 --header "Authorization: Bearer KEY" --json
//
// Exit status: 0 after a run, 1 on bad arguments, 2 when the target could not be
// reached at all (name not resolved, every first connection attempt failed, or no
// response ever arrived), 3 when the target stopped answering mid-run.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "CLI/CLI.hpp"
#include "boost/asio.hpp"
#include "boost/url/parse.hpp"
#include "fmt/format.h"
#include "load/latency_histogram.h"
#include "load/order_gen.h"

namespace disthub {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Command-line options, one field per flag.
struct Options {
  std::string url;                   // http://host:port/path; https is not supported
  std::string mode = "get";          // orders | invalid | shopify-webhook | get
  std::string webhook_secret;        // shopify-webhook: the channel's signing secret
  int connections = 16;              // concurrent keep-alive connections
  double duration_s = 0;             // measured seconds after warmup; 0: bounded by requests
  uint64_t requests = 0;             // measured requests to send; 0: bounded by duration
  double warmup_s = 0;               // seconds of load before measuring starts
  double timeout_s = 5;              // per connect and per request
  std::vector<std::string> headers;  // extra "Name: value" request headers
  int templates = 4096;              // distinct order bodies to pre-generate
  uint64_t seed = 1;                 // order generator seed
  std::optional<uint32_t> run_id;    // goes into every order reference; random if unset
  bool json = false;                 // one JSON object instead of a table
  int print_orders = 0;              // print this many bodies of --mode, one a line, and exit
};

struct Target {
  std::string host;         // for name resolution
  std::string port;         // "80" when the URL has none
  std::string host_header;  // host[:port] as written in the URL
  std::string path;         // origin-form request target, "/" at least
};

std::optional<Target> ParseUrl(std::string_view text, std::string& error) {
  auto u = boost::urls::parse_uri(text);
  if (!u) {
    error = "not a URL: " + u.error().message();
    return std::nullopt;
  }
  if (u->scheme() != "http") {
    error = "only http:// URLs are supported";
    return std::nullopt;
  }
  Target t;
  t.host = u->encoded_host_address();
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = u->has_port() ? std::string(u->port()) : "80";
  t.host_header = u->encoded_host_and_port();
  t.path = u->encoded_target();
  if (t.path.empty()) t.path = "/";
  if (t.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  return t;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IContainsToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (IEquals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// What the status line and headers of a response say.
struct ResponseHead {
  int status = 0;
  int64_t content_length = -1;  // -1: none given, the body runs to the end of the connection
  bool close = false;           // the server will close the connection after this response
  bool chunked = false;
};

// Parses `head`, which ends with the blank line. nullopt when it is not HTTP/1.x.
std::optional<ResponseHead> ParseHead(std::string_view head) {
  ResponseHead r;
  size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ') {
    return std::nullopt;
  }
  const bool http10 = status_line[7] == '0';
  for (int i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return std::nullopt;
    r.status = r.status * 10 + (status_line[i] - '0');
  }
  bool keep_alive = false;
  head.remove_prefix(eol + 2);
  while ((eol = head.find("\r\n")) != 0 && eol != std::string_view::npos) {
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    if (IEquals(name, "content-length")) {
      int64_t n = 0;
      if (value.empty()) return std::nullopt;
      for (char c : value) {
        if (c == ' ' || c == '\t') break;
        if (c < '0' || c > '9' || n > (int64_t{1} << 40)) return std::nullopt;
        n = n * 10 + (c - '0');
      }
      r.content_length = n;
    } else if (IEquals(name, "connection")) {
      r.close |= IContainsToken(value, "close");
      keep_alive |= IContainsToken(value, "keep-alive");
    } else if (IEquals(name, "transfer-encoding")) {
      r.chunked = !IEquals(value, "identity");
    }
  }
  if (http10 && !keep_alive) r.close = true;
  if (r.status == 204 || r.status == 304) r.content_length = 0;
  if (r.content_length < 0) r.close = true;
  return r;
}

// The bodies to send in o.mode; none for "get".
std::vector<std::string> OrderPool(const Options& o) {
  if (o.mode == "orders") return MakeOrderTemplates(o.templates, o.seed);
  if (o.mode == "invalid") return MakeInvalidOrderTemplates(o.templates, o.seed);
  if (o.mode == "shopify-webhook") return MakeShopifyWebhookTemplates(o.templates, o.seed);
  return {};
}

// Shopify's signature of a webhook body: base64 of its HMAC-SHA256 under the secret.
std::string ShopifySignature(std::string_view secret, std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// How one request ended.
enum class Outcome { kOk, kTimeout, kReset, kProtocol, kAborted };

// What a run measured. Counts cover the measured window (requests sent after warmup)
// unless named otherwise.
struct Results {
  uint64_t requests_sent = 0;    // requests started
  uint64_t responses = 0;        // complete responses
  uint64_t responses_total = 0;  // complete responses, warmup included
  std::array<uint64_t, 600> by_status{};
  uint64_t connect_errors = 0, reset_errors = 0, timeout_errors = 0, protocol_errors = 0;
  uint64_t connects = 0;  // successful connects, warmup included
  uint64_t bytes_sent = 0, bytes_received = 0;
  LatencyHistogram latency;  // nanoseconds, request written to response read
  uint32_t run_id = 0;
  double window_s = 0;       // from the end of warmup to the stop
  double wall_s = 0;         // the whole run
  double cpu_s = 0;          // this process's user+system CPU in the window
  bool stalled = false;      // the target stopped answering; the run was cut short
  bool unreachable = false;  // no response ever arrived

  double throughput() const { return window_s > 0 ? responses / window_s : 0; }
  double cpu_pct() const { return window_s > 0 ? 100 * cpu_s / window_s : 0; }
  double latency_ms(double q) const { return latency.Quantile(q) / 1e6; }
};

class LoadRun {
 public:
  LoadRun(asio::io_context& io, const Options& o, const Target& t,
          std::vector<tcp::endpoint> endpoints)
      : io_(io), o_(o), endpoints_(std::move(endpoints)), ticker_(io) {
    const bool post = o.mode != "get";
    bool user_content_type = false;
    for (const std::string& h : o.headers) {
      user_content_type |= IEquals(h.substr(0, h.find(':')), "content-type");
    }
    prefix_ = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: disthub-load\r\n",
                          post ? "POST" : "GET", t.path, t.host_header);
    for (const std::string& h : o.headers) prefix_ += h + "\r\n";
    if (post && !user_content_type) prefix_ += "Content-Type: application/json\r\n";
    templates_ = OrderPool(o);
    run_id_ = o.run_id ? *o.run_id : std::random_device{}();
    timeout_ =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  }

  // Runs the load to completion on the calling thread.
  void Run() {
    start_ = Clock::now();
    measure_start_ = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o_.warmup_s));
    end_ = o_.duration_s > 0 ? measure_start_ + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(o_.duration_s))
                             : Clock::time_point::max();
    last_progress_ = start_;
    if (o_.warmup_s <= 0) cpu_at_measure_start_ = CpuSeconds();
    auto rethrow = [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    };
    for (int i = 0; i < o_.connections; ++i) {
      conns_.push_back(std::make_unique<Connection>(io_));
      asio::co_spawn(io_, Drive(*conns_.back()), rethrow);
    }
    active_ = o_.connections;
    asio::co_spawn(io_, Tick(), rethrow);
    io_.run();
    r_.run_id = run_id_;
    r_.window_s = std::max(0.0, Seconds(window_end_ - measure_start_));
    r_.wall_s = Seconds(Clock::now() - start_);
    r_.cpu_s = CpuSeconds() - cpu_at_measure_start_;
    r_.unreachable = r_.responses_total == 0;
  }

  const Results& results() const { return r_; }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io), timer(io), rbuf(16 * 1024) {}
    tcp::socket socket;
    asio::steady_timer timer;  // reconnect back-off
    std::string head;          // request line and headers of the request in flight
    std::string body;          // its body
    std::vector<char> rbuf;
    Clock::time_point deadline = Clock::time_point::max();  // of the operation in flight
    bool timed_out = false;
  };

  struct Read {
    Outcome outcome;
    int status = 0;
    bool close = false;
  };

  // One connection's closed loop: (re)connect, send, read, record, until stopped.
  asio::awaitable<void> Drive(Connection& c) {
    int failures_in_a_row = 0;
    while (!stopping_ && !RequestsDone()) {
      if (!c.socket.is_open()) {
        const bool measured = Clock::now() >= measure_start_;
        error_code ec;
        c.timed_out = false;
        c.deadline = Clock::now() + timeout_;
        co_await asio::async_connect(c.socket, endpoints_,
                                     asio::redirect_error(asio::use_awaitable, ec));
        c.deadline = Clock::time_point::max();
        if (stopping_) break;
        if (ec) {
          c.socket.close(ec);
          if (measured) ++r_.connect_errors;
          if (r_.connects == 0 && ++first_connect_failures_ >= o_.connections) {
            Stop();  // every connection failed before any got through
            break;
          }
          c.timer.expires_after(
              std::chrono::milliseconds(std::min(1000, 20 << std::min(failures_in_a_row++, 5))));
          co_await c.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          continue;
        }
        failures_in_a_row = 0;
        ++r_.connects;
        c.socket.set_option(tcp::no_delay(true), ec);
      }

      if (RequestsDone()) break;  // reached while this connection was connecting
      const Clock::time_point t0 = Clock::now();
      const bool measured = t0 >= measure_start_;
      if (measured) ++r_.requests_sent;
      BuildRequest(c);
      c.timed_out = false;
      c.deadline = t0 + timeout_;
      error_code ec;
      const size_t sent = co_await asio::async_write(
          c.socket, std::array{asio::buffer(c.head), asio::buffer(c.body)},
          asio::redirect_error(asio::use_awaitable, ec));
      r_.bytes_sent += sent;
      Read read{ec ? Classify(c, ec) : Outcome::kOk};
      if (!ec) read = co_await ReadResponse(c);
      c.deadline = Clock::time_point::max();
      if (read.outcome == Outcome::kAborted || stopping_) break;
      if (read.outcome != Outcome::kOk) {
        if (measured) {
          ++(read.outcome == Outcome::kTimeout ? r_.timeout_errors
             : read.outcome == Outcome::kReset ? r_.reset_errors
                                               : r_.protocol_errors);
        }
        c.socket.close(ec);
        continue;
      }
      const Clock::time_point t1 = Clock::now();
      last_progress_ = t1;
      ++r_.responses_total;
      if (measured) {
        ++r_.responses;
        ++r_.by_status[std::clamp(read.status, 0, 599)];
        r_.latency.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      }
      if (read.close) c.socket.close(ec);
    }
    if (--active_ == 0) Stop();
  }

  bool RequestsDone() const { return o_.requests > 0 && r_.requests_sent >= o_.requests; }

  void BuildRequest(Connection& c) {
    c.head = prefix_;
    c.body.clear();
    if (templates_.empty()) {
      c.head += "\r\n";
      return;
    }
    c.body = templates_[seq_ % templates_.size()];
    if (o_.mode == "shopify-webhook") {
      // Signed per request: the reference, and so the bytes, differ each time.
      StampRef(c.body, kWebhookRefOffset, run_id_, seq_++);
      c.head += "X-Shopify-Hmac-Sha256: ";
      c.head += ShopifySignature(o_.webhook_secret, c.body);
      c.head += "\r\nX-Shopify-Webhook-Id: ";
      c.head += std::string_view(c.body).substr(kWebhookRefOffset, kOrderRefSize);
    } else {
      StampOrderRef(c.body, run_id_, seq_++);
      c.head += "Idempotency-Key: ";
      c.head += OrderRef(c.body);
    }
    c.head += "\r\nContent-Length: ";
    c.head += std::to_string(c.body.size());
    c.head += "\r\n\r\n";
  }

  Outcome Classify(const Connection& c, const error_code& ec) const {
    if (c.timed_out) return Outcome::kTimeout;
    if (stopping_ || ec == asio::error::operation_aborted) return Outcome::kAborted;
    return Outcome::kReset;
  }

  // Reads one response into c.rbuf.
  asio::awaitable<Read> ReadResponse(Connection& c) {
    size_t have = 0, scanned = 0, total = 0;
    std::optional<ResponseHead> head;
    for (;;) {
      if (have == c.rbuf.size()) {
        if (c.rbuf.size() >= (64u << 20)) co_return Read{Outcome::kProtocol};
        c.rbuf.resize(c.rbuf.size() * 2);
      }
      error_code ec;
      const size_t n = co_await c.socket.async_read_some(
          asio::buffer(c.rbuf.data() + have, c.rbuf.size() - have),
          asio::redirect_error(asio::use_awaitable, ec));
      have += n;
      r_.bytes_received += n;
      if (ec == asio::error::eof && head && head->content_length < 0) {
        co_return Read{Outcome::kOk, head->status, true};  // body delimited by the close
      }
      if (ec) co_return Read{Classify(c, ec)};
      if (!head) {
        const std::string_view data(c.rbuf.data(), have);
        const size_t end = data.find("\r\n\r\n", scanned);
        if (end == std::string_view::npos) {
          scanned = have > 3 ? have - 3 : 0;
          continue;
        }
        head = ParseHead(data.substr(0, end + 4));
        // We never send "Expect: 100-continue", so a 1xx is as unexpected as chunking.
        if (!head || head->chunked || head->status < 200) co_return Read{Outcome::kProtocol};
        if (head->content_length >= 0) total = end + 4 + head->content_length;
      }
      if (head->content_length >= 0 && have >= total) {
        co_return Read{Outcome::kOk, head->status, head->close || have > total};
      }
    }
  }

  // Every 10 ms: start measuring, end the run, time out stuck operations, detect stalls.
  asio::awaitable<void> Tick() {
    const Clock::duration stall_limit =
        std::max(2 * timeout_, Clock::duration(std::chrono::seconds(5)));
    while (!stopping_) {
      ticker_.expires_after(std::chrono::milliseconds(10));
      error_code ec;
      co_await ticker_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) break;
      const Clock::time_point now = Clock::now();
      if (!measuring_ && now >= measure_start_) {
        measuring_ = true;
        if (o_.warmup_s > 0) cpu_at_measure_start_ = CpuSeconds();
      }
      if (now >= end_) {
        Stop();
        break;
      }
      if (now - last_progress_ > stall_limit) {
        r_.stalled = true;
        Stop();
        break;
      }
      for (auto& c : conns_) {
        if (now > c->deadline) {
          c->timed_out = true;
          c->socket.close(ec);
        }
      }
    }
  }

  void Stop() {
    if (stopping_) return;
    stopping_ = true;
    window_end_ = Clock::now();
    error_code ec;
    for (auto& c : conns_) {
      c->socket.close(ec);
      c->timer.cancel();
    }
    ticker_.cancel();
  }

  asio::io_context& io_;
  const Options& o_;
  const std::vector<tcp::endpoint> endpoints_;
  std::string prefix_;  // request line and fixed headers
  std::vector<std::string> templates_;
  uint32_t run_id_ = 0;
  uint64_t seq_ = 0;
  Clock::duration timeout_{};
  std::vector<std::unique_ptr<Connection>> conns_;
  asio::steady_timer ticker_;
  int active_ = 0;
  int first_connect_failures_ = 0;
  bool stopping_ = false, measuring_ = false;
  Clock::time_point start_, measure_start_, end_, last_progress_, window_end_;
  double cpu_at_measure_start_ = 0;
  Results r_;
};

std::string JsonString(std::string_view v) {
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + '"';
}

void PrintJson(const Options& o, const Results& r) {
  std::string status;
  for (size_t code = 0; code < r.by_status.size(); ++code) {
    if (r.by_status[code] == 0) continue;
    if (!status.empty()) status += ',';
    status += fmt::format("\"{}\":{}", code, r.by_status[code]);
  }
  fmt::print(
      "{{\"url\":{},\"mode\":\"{}\",\"connections\":{},\"run_id\":\"{:08x}\",\"warmup_s\":{:.3f},"
      "\"window_s\":{:.3f},\"wall_s\":{:.3f},\"requests_sent\":{},\"responses\":{},"
      "\"status\":{{{}}},\"errors\":{{\"connect\":{},\"reset\":{},\"timeout\":{},\"protocol\":{}}},"
      "\"throughput_rps\":{:.1f},\"latency_ms\":{{\"p50\":{:.3f},\"p90\":{:.3f},\"p99\":{:.3f},"
      "\"p999\":{:.3f},\"max\":{:.3f},\"mean\":{:.3f}}},\"connects\":{},\"bytes_sent\":{},"
      "\"bytes_received\":{},\"cpu_s\":{:.3f},\"cpu_pct\":{:.1f},\"stalled\":{},"
      "\"unreachable\":{}}}\n",
      JsonString(o.url), o.mode, o.connections, r.run_id, o.warmup_s, r.window_s, r.wall_s,
      r.requests_sent, r.responses, status, r.connect_errors, r.reset_errors, r.timeout_errors,
      r.protocol_errors, r.throughput(), r.latency_ms(0.5), r.latency_ms(0.9), r.latency_ms(0.99),
      r.latency_ms(0.999), r.latency.max() / 1e6, r.latency.mean() / 1e6, r.connects, r.bytes_sent,
      r.bytes_received, r.cpu_s, r.cpu_pct(), r.stalled, r.unreachable);
}

void PrintTable(const Options& o, const Results& r) {
  fmt::print("disthub-load  {}  mode={}  connections={}  run_id={:08x}\n", o.url, o.mode,
             o.connections, r.run_id);
  fmt::print("window        {:.2f} s   (warmup {:.2f} s, wall {:.2f} s)\n", r.window_s, o.warmup_s,
             r.wall_s);
  fmt::print("requests      {}\n", r.requests_sent);
  fmt::print("responses     {}   {:.1f}/s\n", r.responses, r.throughput());
  for (size_t code = 0; code < r.by_status.size(); ++code) {
    if (r.by_status[code]) fmt::print("  {:<11} {}\n", code, r.by_status[code]);
  }
  fmt::print("errors        connect {}  reset {}  timeout {}  protocol {}\n", r.connect_errors,
             r.reset_errors, r.timeout_errors, r.protocol_errors);
  fmt::print(
      "latency ms    p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f}  "
      "mean {:.3f}\n",
      r.latency_ms(0.5), r.latency_ms(0.9), r.latency_ms(0.99), r.latency_ms(0.999),
      r.latency.max() / 1e6, r.latency.mean() / 1e6);
  fmt::print("load cpu      {:.2f} s   ({:.0f}% of one core)   connects {}\n", r.cpu_s, r.cpu_pct(),
             r.connects);
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"disthub-load: closed-loop HTTP/1.1 load generator"};
  app.add_option("--url", o.url, "http://host:port/path to load (required)");
  app.add_option("--mode", o.mode,
                 "orders: POST unique orders; invalid: POST orders the "
                 "server must reject; shopify-webhook: POST unique Shopify orders/create "
                 "webhooks signed with --webhook-secret; get: GET the URL")
      ->check(CLI::IsMember({"orders", "invalid", "shopify-webhook", "get"}))
      ->capture_default_str();
  app.add_option("--webhook-secret", o.webhook_secret,
                 "shopify-webhook: the channel's signing secret (or $DISTHUB_LOAD_WEBHOOK_SECRET)");
  app.add_option("--connections,-c", o.connections, "Concurrent connections")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--duration,-d", o.duration_s, "Measured seconds after warmup")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--requests,-n", o.requests, "Measured requests to send");
  app.add_option("--warmup,-w", o.warmup_s, "Seconds of load before measuring")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", o.timeout_s, "Seconds per connect and per request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--header,-H", o.headers, "Extra request header \"Name: value\" (repeatable)");
  app.add_option("--templates", o.templates, "Distinct order bodies to pre-generate")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Order generator seed")->capture_default_str();
  app.add_option("--run-id", o.run_id, "32-bit id stamped into every order ref (default random)");
  app.add_flag("--json", o.json, "Print one JSON object of results");
  app.add_option("--print-orders", o.print_orders,
                 "Print N order bodies of --mode (orders|invalid), one a line, and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (o.duration_s <= 0 && o.requests == 0) o.duration_s = 10;
  for (const std::string& h : o.headers) {
    if (h.find(':') == std::string::npos || h.find_first_of("\r\n") != std::string::npos) {
      fmt::print(stderr, "disthub-load: bad header '{}': want \"Name: value\"\n", h);
      return 1;
    }
  }
  if (o.print_orders > 0) {
    if (o.mode == "get") o.mode = "orders";
    const std::vector<std::string> pool = OrderPool(o);
    const uint32_t run_id = o.run_id.value_or(0);
    for (int i = 0; i < o.print_orders; ++i) {
      std::string body = pool[i % pool.size()];
      StampRef(body, o.mode == "shopify-webhook" ? kWebhookRefOffset : kOrderRefOffset, run_id, i);
      fmt::print("{}\n", body);
    }
    return 0;
  }
  if (o.mode == "shopify-webhook" && o.webhook_secret.empty()) {
    if (const char* env = std::getenv("DISTHUB_LOAD_WEBHOOK_SECRET")) o.webhook_secret = env;
    if (o.webhook_secret.empty()) {
      fmt::print(stderr, "disthub-load: --mode shopify-webhook needs --webhook-secret\n");
      return 1;
    }
  }
  if (o.url.empty()) {
    fmt::print(stderr, "disthub-load: --url is required (see --help)\n");
    return 1;
  }
  std::string error;
  const std::optional<Target> target = ParseUrl(o.url, error);
  if (!target) {
    fmt::print(stderr, "disthub-load: {}: {}\n", o.url, error);
    return 1;
  }

  asio::io_context io(1);
  error_code ec;
  std::vector<tcp::endpoint> endpoints;
  for (const auto& e : tcp::resolver(io).resolve(target->host, target->port, ec)) {
    endpoints.push_back(e.endpoint());
  }
  if (ec || endpoints.empty()) {
    fmt::print(stderr, "disthub-load: cannot resolve {}: {}\n", target->host, ec.message());
    return 2;
  }

  LoadRun run(io, o, *target, std::move(endpoints));
  run.Run();
  const Results& r = run.results();
  if (o.json) {
    PrintJson(o, r);
  } else {
    PrintTable(o, r);
  }
  if (r.unreachable) {
    fmt::print(stderr, "disthub-load: {} {}\n",
               r.connects == 0 ? "cannot connect to" : "no response from", o.url);
    return 2;
  }
  if (r.stalled) {
    fmt::print(stderr, "disthub-load: {} stopped answering; run cut short\n", o.url);
    return 3;
  }
  return 0;
}

}  // namespace
}  // namespace disthub

int main(int argc, char** argv) { return disthub::Main(argc, argv); }
