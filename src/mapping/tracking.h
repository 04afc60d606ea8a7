// The canonical tracking document: where a parcel is, as a carrier (or an aggregator such
// as EasyPost) reports it. The canonical model (model/entities.h) has no tracking entity
// yet, so the mapping layer defines this one and checks it itself, with the model's rules
// and messages; docs/mappings.md documents it. A mapping with `to: tracking` builds it:
//
//   {"tracking_number": "1Z999AA10123456784", "carrier": "ups", "status": "in_transit",
//    "status_at": "2026-11-27T10:00:00.000Z",
//    "estimated_delivery_at": "2026-11-29T00:00:00.000Z",             (optional)
//    "events": [{"at": "2026-11-27T09:12:00.000Z", "status": "in_transit",
//                "message": "Departed facility", "city": "ORLANDO", "region": "FL",
//                "postal_code": "32809", "country": "US"}]}          (optional, may be empty)
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <boost/json/value.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "model/entities.h"
#include "model/json.h"

namespace disthub::mapping {

// Where a parcel is: the fixed set every carrier's statuses are mapped onto (a code table
// in the mapping). Encoded as the snake_case names below.
enum class TrackingStatus {
  kPreTransit,      // a label exists; the carrier does not have the parcel yet
  kInTransit,       // the carrier has it
  kOutForDelivery,  // on the last leg (or waiting at a pickup point)
  kDelivered,
  kFailure,   // delivery failed or the carrier lost or cancelled it
  kReturned,  // on its way back to the sender, or back
  kUnknown,   // the carrier says nothing useful (yet)
};
inline constexpr std::array<std::string_view, 7> kTrackingStatusNames = {
    "pre_transit", "in_transit", "out_for_delivery", "delivered", "failure", "returned", "unknown"};
static_assert(kTrackingStatusNames.size() == static_cast<size_t>(TrackingStatus::kUnknown) + 1);
// Makes TrackingStatus a NamedEnum: EnumName() and EnumFromName() (model/entities.h) work.
constexpr std::span<const std::string_view> EnumNames(TrackingStatus) {
  return kTrackingStatusNames;
}

// One scan or status change in the carrier's history.
struct TrackingEvent {
  absl::Time at;
  TrackingStatus status = TrackingStatus::kUnknown;
  std::string message;  // the carrier's words: "Departed FedEx location"
  std::string city;     // where, when the carrier says
  std::string region;   // state or province
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2

  friend bool operator==(const TrackingEvent&, const TrackingEvent&) = default;
};

struct Tracking {
  std::string tracking_number;  // the carrier's, exactly as sent
  std::string carrier;          // the hub's carrier code: "ups", "usps", "fedex", "other"
  TrackingStatus status = TrackingStatus::kUnknown;  // the latest
  absl::Time status_at;                              // when the source last updated it
  std::optional<absl::Time> estimated_delivery_at;
  std::vector<TrackingEvent> events;  // as the source lists them (oldest first, usually)

  friend bool operator==(const Tracking&, const Tracking&) = default;
};

// Decodes and checks a tracking document as model/json.h decodes entities: strictly (an
// unknown field, a wrong JSON type, a missing required field, an unknown status, a time that
// is not RFC 3339 with an offset, a country that is not two uppercase letters, a string too
// long), collecting every error with its JSON Pointer ("#/events/2/status").
//   required: tracking_number (1..128 characters; a JSON integer is kept as its decimal
//   text), carrier (1..64), status, status_at; in events[] (at most 1000): at, status.
Decoded<Tracking> DecodeTracking(const boost::json::value& json);

}  // namespace disthub::mapping
