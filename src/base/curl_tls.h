// libcurl glue shared by the hub's HTTP clients (base/http_client.h, the deliverer):
// TLS settings and the transport error a failed transfer reports.
#pragma once

#include <curl/curl.h>

#include <string>

#include "base/tls.h"

namespace disthub {

// CURLOPT_BUFFERSIZE for the hub's clients. libcurl allocates its receive buffer for every
// transfer (16 KiB by default, which made malloc a fifth of the deliverer's CPU); at
// 1 KiB, its smallest, the allocation comes from malloc's per-thread cache. The answers
// the hub reads are small: a longer one only takes more reads.
inline constexpr long kCurlReceiveBufferBytes = 1024;

// Applies `tls` to `easy` (CA bundle, client certificate and key). Verification of the
// peer and its host name stays on, as libcurl defaults.
void SetCurlTls(CURL* easy, const TlsClientOptions& tls);

// Whether a transfer failed in TLS: the handshake, the peer's certificate, or our own
// certificate or CA files.
bool IsTlsError(CURLcode code);

// The error of a failed transfer: libcurl's text for `code`, then its detailed message
// (CURLOPT_ERRORBUFFER) when it left one: "Timeout was reached: Operation timed out after
// 300 milliseconds with 0 bytes received".
std::string CurlErrorText(CURLcode code, const char* error_buffer);

}  // namespace disthub
