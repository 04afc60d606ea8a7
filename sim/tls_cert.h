// Self-signed certificates for trying and testing HTTPS with the simulators: the
// simulator presents the pair (PartnerSimOptions::tls_cert_file/tls_key_file, or `tls:` in
// its YAML), and the hub trusts the certificate itself as its CA (`tls.ca_file`). A pair
// also serves as a client certificate for mutual TLS (`tls.cert_file`/`tls.key_file` on
// the hub, `tls.client_ca_file` on the simulator).
//
//   DISTHUB_RETURN_IF_ERROR(WriteSelfSignedCertificate(dir + "/cert.pem", dir + "/key.pem"));
//
// Never for production: anyone holding the key can impersonate the names it covers.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace disthub {

// Writes an ECDSA P-256 certificate (PEM) valid from now for `days`, for 127.0.0.1, ::1 and
// localhost (server and client use), and its unencrypted private key (PEM, mode 0600).
// kInvalidArgument for days outside 1-3650; kInternal naming the file when it cannot write.
absl::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                        int days = 30);

}  // namespace disthub
