#include "connectors/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "base/strings.h"

namespace disthub::connectors {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

absl::StatusOr<WebhookSignature> SignatureScheme(std::string_view scheme, std::string_view header,
                                                 std::string_view encoding,
                                                 std::string_view id_header) {
  WebhookSignature s{.scheme = std::string(scheme)};
  if (scheme == "shopify") {
    s.header = "x-shopify-hmac-sha256";
    s.id_header = "x-shopify-webhook-id";
  } else if (scheme == "woocommerce") {
    s.header = "x-wc-webhook-signature";
    s.id_header = "x-wc-webhook-delivery-id";
  } else if (scheme == "hmac-sha256") {
    if (header.empty()) return absl::InvalidArgumentError("header: the hmac-sha256 scheme needs the signature's header");
  } else {
    return absl::InvalidArgumentError(
        StrCat("\"", scheme, "\" is not a signature scheme (shopify, woocommerce, hmac-sha256)"));
  }
  if (!header.empty()) s.header = Lower(header);
  if (!id_header.empty()) s.id_header = Lower(id_header);
  if (encoding == "hex") {
    s.encoding = WebhookSignature::Encoding::kHex;
  } else if (!encoding.empty() && encoding != "base64") {
    return absl::InvalidArgumentError(StrCat("encoding: \"", encoding, "\" must be base64 or hex"));
  }
  return s;
}

std::string Sign(const WebhookSignature& signature, std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n);
  return signature.encoding == WebhookSignature::Encoding::kHex ? Hex(mac, n) : Base64(mac, n);
}

bool VerifySignature(const WebhookSignature& signature, std::string_view secret,
                     std::string_view body, std::string_view sent) {
  if (sent.empty() || secret.empty()) return false;
  std::string expected = Sign(signature, secret, body);
  std::string given(sent);
  if (signature.encoding == WebhookSignature::Encoding::kHex) given = Lower(given);
  // Lengths are not secret (every signature of a scheme has the same one).
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace disthub::connectors
