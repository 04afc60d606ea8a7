#include "api/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/thread_name.h"

namespace disthub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Every I/O object is bound to the concrete executor of its connection's io_context: the
// type-erased any_io_executor costs a construction and a virtual dispatch per operation.
using Executor = asio::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using Clock = std::chrono::steady_clock;

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool SameNameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Without leading and trailing spaces and tabs, as Beast stores field values.
std::string_view TrimValue(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Beast's HTTP/1.1 request parser (limits, chunked bodies, keep-alive rules) writing straight
// into an HttpRequest, without the intermediate http::request and its field list.
class RequestParser final : public http::basic_parser<true> {
 public:
  RequestParser() { request_.headers.reserve(8); }

  // The request parsed so far; complete once is_done().
  HttpRequest& request() { return request_; }
  unsigned version() const { return version_; }

 private:
  void on_request_impl(http::verb, beast::string_view method, beast::string_view target,
                       int version, beast::error_code&) override {
    request_.method.assign(method.data(), method.size());
    request_.target.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    auto& [lower, text] = request_.headers.emplace_back();
    lower.resize(name.size());
    std::transform(name.begin(), name.end(), lower.begin(), AsciiLower);
    const std::string_view trimmed = TrimValue({value.data(), value.size()});
    text.assign(trimmed.data(), trimmed.size());
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code& ec) override {
    if (!length) return;
    if (*length > request_.body.max_size()) {
      ec = http::error::buffer_overflow;
      return;
    }
    request_.body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                            beast::error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(beast::error_code&) override {}

  HttpRequest request_;
  unsigned version_ = 11;
};

// The status line and header of a response, as Beast's serializer writes them for the
// fields the server sets: Server, Content-Type, the handler's headers (a repeated name
// replaces the earlier field and moves to the end, as http::fields::set does), Connection
// when keep-alive differs from the version's default, and Content-Length.
void WriteHead(const HttpResponse& r, bool keep_alive, unsigned version, std::string& out) {
  const auto status = static_cast<http::status>(r.status);
  const beast::string_view reason = http::obsolete_reason(status);
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += StrCat(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  auto replaced = [&](std::string_view name, size_t from) {
    for (size_t i = from; i < r.headers.size(); ++i) {
      if (SameNameIgnoringCase(r.headers[i].first, name)) return true;
    }
    return false;
  };
  if (!replaced("Server", 0)) out += "Server: disthub\r\n";
  if (!replaced("Content-Type", 0)) {
    out += "Content-Type: ";
    out += TrimValue(r.content_type);
    out += "\r\n";
  }
  for (size_t i = 0; i < r.headers.size(); ++i) {
    const auto& [name, value] = r.headers[i];
    if (replaced(name, i + 1)) continue;
    out += name;
    out += ": ";
    out += TrimValue(value);
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  // Beast leaves the length out (and refuses a body) for 1xx, 204 and 304.
  const http::status_class kind = http::to_status_class(status);
  if (kind != http::status_class::informational && status != http::status::no_content &&
      status != http::status::not_modified) {
    out += "Content-Length: ";
    out += StrCat(static_cast<int64_t>(r.body.size()));
    out += "\r\n";
  }
  out += "\r\n";
}

// One connection. Reads a request, hands it to the handler, writes the response (in one
// send when the socket takes it), and reads the next; requests on a connection are handled
// one at a time, in order.
//
// The idle timeout is a deadline checked by one timer per connection, not a timer armed per
// read and write: reading and writing move the deadline, handling suspends it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, const HttpServerOptions& options, HttpHandler* handler)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        options_(options),
        handler_(handler) {
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) peer_ = StrCat(ep.address().to_string(), ":", int{ep.port()});
  }

  void Start() {
    ArmTimer(Clock::now() + IdleTimeout());
    Read();
  }

 private:
  Clock::duration IdleTimeout() const {
    return std::chrono::seconds(options_.idle_timeout_seconds);
  }

  // Closes the connection once the deadline passes; re-arms itself while it moves.
  void ArmTimer(Clock::time_point at) {
    deadline_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      const Clock::time_point now = Clock::now();
      if (self->deadline_ <= now) return self->Close();
      self->ArmTimer(self->deadline_ == Clock::time_point::max() ? now + self->IdleTimeout()
                                                                 : self->deadline_);
    });
  }
  // Keeps the armed timer, only moving the deadline it checks.
  void SetDeadline(Clock::time_point at) { deadline_ = at; }

  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
    parser_->header_limit(64 * 1024);
    parser_->eager(true);
    SetDeadline(Clock::now() + IdleTimeout());
    Parse();
  }

  // Feeds the buffered bytes to the parser, then waits for more if the request is incomplete.
  void Parse() {
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return OnRead(ec);
      if (used == 0) break;
    }
    if (parser_->is_done()) return OnRead(ec);
    // Wait until readable, then read without blocking: cheaper than an async read, which
    // first tries a receive that would block (the client is still reading our response).
    socket_.async_wait(Socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->OnRead(ec);
      self->Receive();
    });
  }

  void Receive() {
    // Read what is there, at least a few KiB and at most 64 KiB at a time (as Beast does).
    const size_t room = std::clamp<size_t>(buffer_.capacity() - buffer_.size(), 8192, 65536);
    beast::error_code ec;
    const size_t n = socket_.read_some(buffer_.prepare(room), ec);
    buffer_.commit(n);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return Parse();
    if (ec == asio::error::eof) {
      if (!parser_->got_some()) return OnRead(http::error::end_of_stream);
      parser_->put_eof(ec);
      if (!ec && parser_->is_done()) return OnRead(ec);
      return OnRead(ec ? ec : http::error::partial_message);
    }
    if (ec) return OnRead(ec);
    Parse();
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::error::eof || closed_) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Send(Problem(413, "body-too-large", "Request body too large",
                          StrCat("the body exceeds this server's limit of ",
                                 options_.max_body_bytes, " bytes (server.max_body_bytes)")),
                  /*keep_alive=*/false, 11);
    }
    if (ec == http::error::header_limit) {
      return Send(Problem(431, "headers-too-large", "Request headers too large",
                          "the request's headers exceed 64 KiB"),
                  false, 11);
    }
    if (ec) {
      return Send(Problem(400, "malformed-http", "Malformed HTTP request", ec.message()), false,
                  11);
    }
    keep_alive_ = parser_->keep_alive();
    version_ = parser_->version();
    HttpRequest request = std::move(parser_->request());
    request.peer = peer_;
    request.received = Clock::now();
    SetDeadline(Clock::time_point::max());  // the handler may take a while (a group commit)
    handler_->Handle(std::move(request), [self = shared_from_this()](HttpResponse r) mutable {
      // Inline when answered on the connection's own thread; queued to it when answered
      // from elsewhere (the writer thread).
      Session* session = self.get();
      asio::dispatch(session->socket_.get_executor(),
                     [self = std::move(self), r = std::move(r)]() mutable {
                       self->Send(std::move(r), self->keep_alive_, self->version_);
                     });
    });
  }

  void Send(HttpResponse r, bool keep_alive, unsigned version) {
    if (closed_) return;
    WriteHead(r, keep_alive, version, head_);
    body_ = std::move(r.body);
    keep_alive_ = keep_alive;
    SetDeadline(Clock::now() + IdleTimeout());
    // Most responses fit the socket's buffer: one send, no completion to wait for.
    beast::error_code ec;
    const std::array<asio::const_buffer, 2> both{asio::buffer(head_), asio::buffer(body_)};
    const size_t sent = socket_.write_some(both, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return Close();
    if (sent == head_.size() + body_.size()) return AfterWrite();
    if (sent < head_.size()) {
      head_.erase(0, sent);
    } else {
      body_.erase(0, sent - head_.size());
      head_.clear();
    }
    asio::async_write(socket_,
                      std::array<asio::const_buffer, 2>{asio::buffer(head_), asio::buffer(body_)},
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->AfterWrite();
                      });
  }

  void AfterWrite() {
    if (!keep_alive_) return Close();
    if (body_.capacity() > 64 * 1024) std::string().swap(body_);  // don't keep a large body
    // A pipelined request is already buffered: read it from the loop, not from this stack,
    // so that a long pipeline does not nest calls.
    if (buffer_.size() > 0) {
      return asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Read(); });
    }
    Read();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  Socket socket_;
  Timer timer_;
  Clock::time_point deadline_;  // when an idle connection is closed; max() while handling
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  const HttpServerOptions& options_;
  HttpHandler* handler_;
  std::string peer_;
  bool keep_alive_ = true;  // of the request being answered
  unsigned version_ = 11;   // of the request being answered
  std::string head_;        // the response being written: status line and header,
  std::string body_;        // and body
  bool closed_ = false;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(HttpServerOptions options, HttpHandler* handler)
      : options_(std::move(options)), handler_(handler) {
    int n = std::max(1, options_.io_threads);
    for (int i = 0; i < n; ++i) {
      loops_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(asio::make_work_guard(*loops_.back()));
    }
    acceptor_.emplace(*loops_[0]);
  }

  ~BeastServer() override { Stop(); }

  absl::Status Listen() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat("server.listen: \"", options_.host, "\" is not an IP address"));
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          StrCat("cannot listen on ", options_.host, ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_->local_endpoint().port();
    Accept();
    for (size_t i = 0; i < loops_.size(); ++i) {
      threads_.emplace_back([l = loops_[i].get(), i] {
        NameThisThread(StrCat("dh-http-", i));
        l->run();
      });
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void StopAccepting() override {
    if (accepting_.exchange(false)) {
      asio::post(*loops_[0], [this] {
        beast::error_code ec;
        acceptor_->close(ec);
      });
    }
  }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    StopAccepting();
    // Let every loop run what is already queued (responses posted by other threads)
    // before stopping it.
    for (auto& loop : loops_) {
      auto ran = std::make_shared<std::promise<void>>();
      asio::post(*loop, [ran] { ran->set_value(); });
      ran->get_future().wait_for(std::chrono::seconds(2));
    }
    guards_.clear();
    for (auto& loop : loops_) loop->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    acceptor_.reset();
    loops_.clear();  // destroys pending handlers and with them the sessions
  }

 private:
  void Accept() {
    asio::io_context& target = *loops_[next_loop_++ % loops_.size()];
    acceptor_->async_accept(target, [this](beast::error_code ec, Socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      if (!ec) {
        auto executor = socket.get_executor();
        auto session = std::make_shared<Session>(std::move(socket), options_, handler_);
        asio::post(executor, [session] { session->Start(); });  // start on its own loop
      }
      Accept();
    });
  }

  HttpServerOptions options_;
  HttpHandler* handler_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  size_t next_loop_ = 0;
  int port_ = 0;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> stopped_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                            HttpHandler* handler) {
  auto server = std::make_unique<BeastServer>(options, handler);
  if (absl::Status s = server->Listen(); !s.ok()) return s;
  return server;
}

}  // namespace disthub
