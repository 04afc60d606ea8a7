// The few Status propagation macros that Debian's abseil (20220623) lacks.
//
//   DISTHUB_RETURN_IF_ERROR(store.Migrate());
//   DISTHUB_ASSIGN_OR_RETURN(auto order, store.GetOrder(id));
//   DISTHUB_ASSIGN_OR_RETURN(Order order, ParseOrder(body), _.With("parsing order"));
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/strings.h"

namespace disthub {

// Returns `status` with `context` prepended to its message, keeping its code.
inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat(context, ": ", status.message()));
}

}  // namespace disthub

#define DISTHUB_CONCAT_INNER_(a, b) a##b
#define DISTHUB_CONCAT_(a, b) DISTHUB_CONCAT_INNER_(a, b)

#define DISTHUB_RETURN_IF_ERROR(expr)                     \
  do {                                                    \
    if (absl::Status disthub_status_ = (expr); !disthub_status_.ok()) { \
      return disthub_status_;                             \
    }                                                     \
  } while (false)

// DISTHUB_ASSIGN_OR_RETURN(lhs, expr) or DISTHUB_ASSIGN_OR_RETURN(lhs, expr, "context").
#define DISTHUB_ASSIGN_OR_RETURN(...) \
  DISTHUB_AOR_SELECT_(__VA_ARGS__, DISTHUB_AOR_3_, DISTHUB_AOR_2_)(__VA_ARGS__)
#define DISTHUB_AOR_SELECT_(_1, _2, _3, NAME, ...) NAME
#define DISTHUB_AOR_2_(lhs, expr) \
  DISTHUB_AOR_IMPL_(DISTHUB_CONCAT_(disthub_statusor_, __LINE__), lhs, expr, "")
#define DISTHUB_AOR_3_(lhs, expr, context) \
  DISTHUB_AOR_IMPL_(DISTHUB_CONCAT_(disthub_statusor_, __LINE__), lhs, expr, context)
#define DISTHUB_AOR_IMPL_(tmp, lhs, expr, context)                         \
  auto tmp = (expr);                                                        \
  if (!tmp.ok()) {                                                          \
    return std::string_view(context).empty()                               \
               ? tmp.status()                                               \
               : ::disthub::Annotate(tmp.status(), std::string_view(context)); \
  }                                                                         \
  lhs = std::move(tmp).value()
