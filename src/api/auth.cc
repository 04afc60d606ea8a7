#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>

#include "base/strings.h"

namespace disthub {
namespace {

std::atomic<uint64_t> next_generation{1};
uint64_t NewGeneration() { return next_generation.fetch_add(1, std::memory_order_relaxed); }

// Keys this thread found valid lately, with the set of keys (ApiKeys::generation_) that
// made them valid. Replaced round-robin.
struct RecentKey {
  uint64_t generation = 0;
  std::string key;
  const Principal* principal = nullptr;
};
struct RecentKeys {
  std::array<RecentKey, 8> entries;
  size_t next = 0;
};
thread_local RecentKeys recent_keys;

// The principal `key` was found valid for in the set `generation`, or null. Compares in
// constant time for keys of the same length, so timing reveals nothing about the keys
// remembered.
const Principal* FindRecent(uint64_t generation, std::string_view key) {
  for (const RecentKey& e : recent_keys.entries) {
    if (e.generation == generation && e.key.size() == key.size() &&
        CRYPTO_memcmp(e.key.data(), key.data(), key.size()) == 0) {
      return e.principal;
    }
  }
  return nullptr;
}

void RememberRecent(uint64_t generation, std::string_view key, const Principal* principal) {
  RecentKey& e = recent_keys.entries[recent_keys.next++ % recent_keys.entries.size()];
  e.generation = generation;
  e.key.assign(key.data(), key.size());
  e.principal = principal;
}

bool IEquals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

ApiKeys::ApiKeys() : generation_(NewGeneration()) {}
ApiKeys::ApiKeys(const ApiKeys& other)
    : by_digest_(other.by_digest_), generation_(NewGeneration()) {}
ApiKeys::ApiKeys(ApiKeys&& other) noexcept
    : by_digest_(std::move(other.by_digest_)), generation_(NewGeneration()) {
  other.generation_ = NewGeneration();
}
ApiKeys& ApiKeys::operator=(const ApiKeys& other) {
  by_digest_ = other.by_digest_;
  generation_ = NewGeneration();
  return *this;
}
ApiKeys& ApiKeys::operator=(ApiKeys&& other) noexcept {
  by_digest_ = std::move(other.by_digest_);
  generation_ = NewGeneration();
  other.generation_ = NewGeneration();
  return *this;
}

std::vector<std::string_view> KnownScopes() {
  return {kScopeOrdersRead, kScopeOrdersWrite, kScopeEventsRead, kScopeInventoryRead,
          kScopeInventoryWrite};
}

bool Principal::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool Principal::MayUseChannel(std::string_view channel) const {
  return channels.empty() || std::find(channels.begin(), channels.end(), channel) != channels.end();
}

absl::Status ApiKeys::Add(std::string_view sha256_hex, Principal principal) {
  std::string digest(sha256_hex);
  std::transform(digest.begin(), digest.end(), digest.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (digest.size() != 64 || digest.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError(StrCat("key ", principal.key_id, " of partner ",
                                             principal.partner,
                                             ": key_sha256 must be 64 hexadecimal digits"));
  }
  std::string who = StrCat(principal.partner, "/", principal.key_id);
  auto [it, inserted] = by_digest_.emplace(std::move(digest), std::move(principal));
  generation_ = NewGeneration();  // the map may have moved its principals
  if (!inserted) {
    return absl::AlreadyExistsError(StrCat("key ", who, " is the same key as ", it->second.partner,
                                           "/", it->second.key_id, "; give each its own key"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const Principal*> ApiKeys::Authenticate(std::string_view header) const {
  if (header.empty()) {
    return absl::UnauthenticatedError("send an API key as \"Authorization: Bearer KEY\"");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || !IEquals(header.substr(0, kBearer.size()), kBearer)) {
    return absl::UnauthenticatedError(
        "the Authorization header must use the Bearer scheme: \"Authorization: Bearer KEY\"");
  }
  std::string_view key = header.substr(kBearer.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  if (const Principal* known = FindRecent(generation_, key)) return known;
  // The lookup is by digest, so timing reveals nothing about the stored keys.
  auto it = by_digest_.find(Sha256Hex(key));
  if (it == by_digest_.end()) return absl::UnauthenticatedError("the API key is not valid");
  RememberRecent(generation_, key, &it->second);
  return &it->second;
}

}  // namespace disthub
