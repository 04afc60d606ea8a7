// JSON Schemas (draft 2020-12) of the canonical entities, derived from describe.h like the
// decoder, so a schema and the decoder agree on fields, types, required fields, enums,
// lengths, ranges and item counts. The decoder is stricter in a few ways no schema keyword
// expresses: currency codes must be in the ISO 4217 table (base/money.h), dates must exist
// ("2026-02-30" fails), and ids beyond 2^53 must be integers or strings, never fractions.
//
// Each schema has "$schema", "$id" ("https://disthub.dev/schemas/<name>.json"), "title",
// and the nested object types it uses under "$defs". Output-only fields are "readOnly".
#pragma once

#include <boost/json/object.hpp>
#include <string_view>
#include <vector>

namespace disthub {

// The schema named `name` ("order", "order_line", "customer", "address", "money", "product",
// "inventory_position", "fulfillment_order", "shipment", "return", "invoice"), or nullptr.
// Built once on first use (thread-safe); the object lives until the process exits.
const boost::json::object* SchemaFor(std::string_view name);

// The names SchemaFor() knows, "order" first.
std::vector<std::string_view> SchemaNames();

}  // namespace disthub
