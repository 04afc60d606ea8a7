#include "sim/tls_cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "base/strings.h"

namespace disthub {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using File = std::unique_ptr<FILE, Deleter<::fclose>>;

absl::Status AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return absl::InternalError(StrCat("cannot add the certificate extension ", value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                        int days) {
  if (days < 1 || days > 3650) return absl::InvalidArgumentError("days: must be 1 to 3650");
  Key key(EVP_EC_gen("P-256"));
  Cert cert(X509_new());
  if (!key || !cert) return absl::InternalError("OpenSSL cannot make a key or a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return absl::InternalError("no random serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_set = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!serial_set || X509_set_version(cert.get(), 2) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86'400) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("disthub simulator"), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1) {
    return absl::InternalError("OpenSSL cannot fill in the certificate");
  }
  // It is its own CA (so the hub can trust it as tls.ca_file) and a TLS server and client.
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"},
                            {NID_ext_key_usage, "serverAuth,clientAuth"},
                            {NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"},
                            {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(cert.get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return absl::InternalError("OpenSSL cannot sign the certificate");
  }

  File cert_file(std::fopen(cert_path.c_str(), "w"));
  if (!cert_file || PEM_write_X509(cert_file.get(), cert.get()) != 1) {
    return absl::InternalError(StrCat("cannot write the certificate to ", cert_path));
  }
  // The key is readable by its owner only, from the moment it exists.
  const mode_t old_mask = ::umask(077);
  File key_file(std::fopen(key_path.c_str(), "w"));
  ::umask(old_mask);
  if (!key_file ||
      PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError(StrCat("cannot write the private key to ", key_path));
  }
  return absl::OkStatus();
}

}  // namespace disthub
