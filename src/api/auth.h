// API keys with scopes, configured per partner and kept only as SHA-256 digests.
//
// A caller sends `Authorization: Bearer KEY`; the key is hashed and looked up, so the
// plain key is never stored or compared. Thread-safe after construction (read-only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/digest.h"

namespace disthub {

// Scopes a key may carry.
inline constexpr std::string_view kScopeOrdersRead = "orders:read";
inline constexpr std::string_view kScopeOrdersWrite = "orders:write";
inline constexpr std::string_view kScopeEventsRead = "events:read";
inline constexpr std::string_view kScopeInventoryRead = "inventory:read";
inline constexpr std::string_view kScopeInventoryWrite = "inventory:write";
std::vector<std::string_view> KnownScopes();

// Who a valid key belongs to and what it may do.
struct Principal {
  std::string partner;                // partner name from the configuration
  std::string key_id;                 // which of the partner's keys (for logs; never the key)
  std::vector<std::string> scopes;    // granted scopes
  std::vector<std::string> channels;  // channels it may act for; empty means all

  bool HasScope(std::string_view scope) const;
  bool MayUseChannel(std::string_view channel) const;
};

class ApiKeys {
 public:
  ApiKeys();
  // Copies and moves are new sets of keys to the cache of Authenticate().
  ApiKeys(const ApiKeys& other);
  ApiKeys(ApiKeys&& other) noexcept;
  ApiKeys& operator=(const ApiKeys& other);
  ApiKeys& operator=(ApiKeys&& other) noexcept;

  // Adds a key by its SHA-256 hex digest. kAlreadyExists if that digest is configured
  // twice (two partners sharing a key would make every call ambiguous).
  absl::Status Add(std::string_view sha256_hex, Principal principal);

  // The principal for an `Authorization` header value, or kUnauthenticated saying why.
  // Each thread remembers the last few keys it found valid (the exact key bytes, compared
  // in constant time), so a connection's repeated requests skip the digest.
  absl::StatusOr<const Principal*> Authenticate(std::string_view authorization_header) const;

  bool empty() const { return by_digest_.empty(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_digest_;
  // Names this set of keys in the per-thread cache of keys found valid: a new number on
  // every change, copy and move, so the cache never serves a principal of another set.
  uint64_t generation_;
};

}  // namespace disthub
