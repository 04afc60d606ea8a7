// Message digests for idempotency keys, key hashes and file identities (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace disthub {

// Lower-case hex SHA-256 of `text`. Thread-safe.
std::string Sha256Hex(std::string_view text);

}  // namespace disthub
