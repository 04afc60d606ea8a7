// An HTTP/1.1 server (Boost.Beast) with keep-alive, a body limit and idle timeouts.
//
// Threads: `io_threads` threads each run their own event loop; accepted connections are
// spread over them round-robin and stay on one thread for life, so a connection's
// requests are handled in order on one thread. Responses may be produced on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api/http.h"

namespace disthub {

struct HttpServerOptions {
  std::string host = "127.0.0.1";    // address to bind
  int port = 8080;                   // 0 picks a free port
  int io_threads = 2;                // event-loop threads
  int64_t max_body_bytes = 1 << 20;  // larger bodies get 413 and the connection closes
  int idle_timeout_seconds = 60;     // a connection idle this long is closed
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The port actually bound (useful with port 0).
  virtual int port() const = 0;
  // Stops accepting new connections; open ones go on being served.
  virtual void StopAccepting() = 0;
  // Stops everything and joins the threads. Idempotent. Responders still held
  // elsewhere must not be called after this: drain their producers first.
  virtual void Stop() = 0;
};

// Binds, listens and starts serving `handler`, which must outlive the server.
absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                            HttpHandler* handler);

}  // namespace disthub
