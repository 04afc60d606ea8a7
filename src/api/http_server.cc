#include "api/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "base/strings.h"

namespace disthub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, HttpHandler* handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = StrCat(ep.address().to_string(), ":", int{ep.port()});
  }

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(options_.max_body_bytes));
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::error::eof) {
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
    http::request<http::string_body> req = parser_->release();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers.reserve(8);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.body = std::move(req.body());
    request.peer = peer_;
    request.received = std::chrono::steady_clock::now();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    stream_.expires_never();  // the handler may take a while (a group commit)
    handler_->Handle(std::move(request),
                     [self = shared_from_this(), keep_alive, version](HttpResponse r) mutable {
                       // Inline when answered on the connection's own thread; queued to it
                       // when answered from elsewhere (the writer thread).
                       asio::dispatch(self->stream_.get_executor(),
                                  [self, r = std::move(r), keep_alive, version]() mutable {
                                    self->Send(std::move(r), keep_alive, version);
                                  });
                     });
  }

  void Send(HttpResponse r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "disthub");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  HttpHandler* handler_;
  std::string peer_;
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
    for (auto& loop : loops_) {
      threads_.emplace_back([l = loop.get()] { l->run(); });
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
    acceptor_->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
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
