// TLS settings of the hub's outbound HTTPS connections (deliveries to subscribers, the
// ERP, carrier rate services), shared by the configuration and the libcurl clients.
//
// The peer's certificate and host name are always verified; these settings only say
// whom to trust and who we are:
//
//   TlsClientOptions tls{.ca_file = "/etc/disthub/partner-ca.pem"};
//   DISTHUB_RETURN_IF_ERROR(CheckTlsFiles(tls, "subscribers[0].tls"));
//   SetCurlTls(easy, tls);  // base/curl_tls.h
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace disthub {

struct TlsClientOptions {
  // PEM file of the certificate authorities to trust instead of the system's bundle
  // (a partner with a private CA, or a test's self-signed certificate). Empty: the
  // system's CAs.
  std::string ca_file;
  // PEM client certificate (chain) for partners that require mutual TLS, and its
  // unencrypted PEM private key. Both or neither.
  std::string cert_file;
  std::string key_file;

  bool empty() const { return ca_file.empty() && cert_file.empty() && key_file.empty(); }
};

// What is wrong with `tls` for a connection to `url`, as (key, problem) pairs for a
// configuration loader ("cert_file", "needs key_file as well"). Reads no files.
std::vector<std::pair<std::string, std::string>> CheckTlsOptions(const TlsClientOptions& tls,
                                                                 std::string_view url);

// kFailedPrecondition naming `where` and the file when a file `tls` names cannot be read,
// so a start-up fails with the reason rather than every connection failing later.
absl::Status CheckTlsFiles(const TlsClientOptions& tls, std::string_view where);

// `tls` with each relative path taken relative to the folder of `config_file`.
TlsClientOptions ResolveTlsPaths(TlsClientOptions tls, const std::string& config_file);

}  // namespace disthub
