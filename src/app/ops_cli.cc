#include "app/ops_cli.h"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/files.h"
#include "base/http_client.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "connectors/inventory_count.h"

namespace disthub {
namespace {

namespace json = boost::json;

struct Common {
  std::string hub;
  std::string key_env = "DISTHUB_KEY";
};

void AddCommon(CLI::App* cmd, Common& c,
               std::string_view scopes = "events:read, and operations:write for changes") {
  cmd->add_option("--hub", c.hub,
                  "The hub's URL (default: $DISTHUB_URL, else http://127.0.0.1:8080)");
  cmd->add_option("--key-env", c.key_env,
                  StrCat("Environment variable holding the API key (scopes ", scopes, ")"))
      ->capture_default_str();
}

// One answer from the hub: its HTTP status (0 when it could not be reached, with the
// reason already printed) and its body.
struct Answer {
  int status = 0;
  std::string body;
};

Answer Fetch(const Common& c, std::string_view method, const std::string& path,
             const std::string& body = "") {
  std::string url = c.hub;
  if (url.empty()) {
    const char* env = std::getenv("DISTHUB_URL");
    url = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
  }
  const char* key = std::getenv(c.key_env.c_str());
  if (key == nullptr || *key == '\0') {
    std::cerr << "disthub: set the API key in $" << c.key_env
              << " (or name another variable with --key-env)\n";
    return {};
  }
  HttpClient client(url, 30);
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", StrCat("Bearer ", key)}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto r = client.Send(method, path, headers, body);
  if (!r.ok()) {
    std::cerr << "disthub: " << url << " did not answer: " << r.status().message() << "\n";
    return {};
  }
  return {r->status, r->body};
}

// Prints an answer: the JSON on stdout for 2xx, the problem on stderr otherwise.
// Exit status: 0 for 2xx, 1 for an error answer, 2 when the hub could not be reached.
int Print(const Answer& a) {
  if (a.status == 0) return 2;
  boost::system::error_code ec;
  json::value v = json::parse(a.body, ec);
  std::ostream& out = a.status < 300 ? std::cout : std::cerr;
  if (ec) {
    out << a.body << "\n";
  } else if (a.status >= 300 && v.is_object() && v.as_object().contains("detail")) {
    out << "disthub: " << a.status << " " << json::value_to<std::string>(v.at("title")) << ": "
        << json::value_to<std::string>(v.at("detail")) << "\n";
  } else {
    out << json::serialize(v) << "\n";
  }
  return a.status < 300 ? 0 : 1;
}

// Sends one request and prints the answer (see Print).
int Call(const Common& c, std::string_view method, const std::string& path,
         const std::string& body = "") {
  return Print(Fetch(c, method, path, body));
}

// Reads a full count for `disthub inventory reconcile`: a CSV with the columns sku,
// location and on_hand (connectors/inventory_count.h: any order, more columns allowed), or a
// JSON document {"items": [...]}. Every bad row is named by its line, and none is sent.
absl::StatusOr<json::array> ReadCount(const std::string& file) {
  DISTHUB_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object() || !v.as_object().contains("items") || !v.at("items").is_array()) {
      return absl::InvalidArgumentError(StrCat(file, ": not a JSON document with \"items\""));
    }
    return v.at("items").as_array();
  }
  absl::StatusOr<connectors::InventoryCountFile> count = connectors::ReadInventoryCountCsv(text);
  if (!count.ok()) return absl::InvalidArgumentError(StrCat(file, ": ", count.status().message()));
  if (!count->bad.empty()) {
    std::string all = StrCat(file, ": ", count->bad.size(), " bad row(s); nothing was sent");
    for (const connectors::BadRow& b : count->bad)
      all += StrCat("\n", file, ":", b.line, ": ", b.reason);
    return absl::InvalidArgumentError(all);
  }
  json::array items;
  for (const connectors::InventoryCountRow& r : count->rows) {
    items.push_back(json::object{{"sku", r.sku}, {"location", r.location}, {"on_hand", r.on_hand}});
  }
  return items;
}

// Prints a reconciliation report as a table.
void PrintReport(const json::object& r) {
  std::cout << "reconciliation " << json::value_to<std::string>(r.at("id")) << ": "
            << json::value_to<std::string>(r.at("state")) << ", " << r.at("checked").as_int64()
            << " positions checked, " << r.at("drifts").as_int64() << " drifted, "
            << r.at("corrected").as_int64() << " corrected\n";
  if (const json::value* e = r.if_contains("error")) {
    std::cout << "error: " << json::value_to<std::string>(*e) << "\n";
  }
  const json::value* report = r.if_contains("report");
  if (report == nullptr || !report->is_array() || report->as_array().empty()) return;
  std::printf("%-16s %-14s %9s %9s %9s  %-9s %s\n", "SKU", "LOCATION", "EXPECTED", "FOUND", "DIFF",
              "CORRECTED", "LIKELY CAUSE");
  for (const json::value& d : report->as_array()) {
    const json::object& o = d.as_object();
    std::string cause = json::value_to<std::string>(o.at("likely_cause"));
    if (const json::value* note = o.if_contains("note")) {
      cause += StrCat(" [", json::value_to<std::string>(*note), "]");
    }
    std::printf("%-16s %-14s %9lld %9lld %+9lld  %-9s %s\n",
                json::value_to<std::string>(o.at("sku")).c_str(),
                json::value_to<std::string>(o.at("location")).c_str(),
                static_cast<long long>(o.at("expected").as_int64()),
                static_cast<long long>(o.at("found").as_int64()),
                static_cast<long long>(o.at("difference").as_int64()),
                o.at("corrected").as_bool() ? "yes" : "no", cause.c_str());
  }
}

std::string Query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += StrCat(q.empty() ? "?" : "&", k, "=", v);  // values here are names and numbers
  }
  return q;
}

}  // namespace

std::function<int()> AddOpsCommands(CLI::App& app) {
  struct State {
    Common common;
    std::string kind, partner, state = "parked", cause, type, reason, subscriber, subject;
    std::string from_time, to_time, replay_id, sku, file;
    bool apply = false;
    int64_t limit = 50, cursor = 0, from_seq = 0, to_seq = 0;
    std::vector<int64_t> ids;
    bool all = false;
    std::vector<std::string> types;
    std::function<int()> run;
  };
  auto s = std::make_shared<State>();

  CLI::App* dl = app.add_subcommand(
      "dead-letters", "List, inspect, retry or discard dead letters on a running hub.");
  dl->require_subcommand(1);
  CLI::App* list = dl->add_subcommand("list", "List dead letters, newest first.");
  AddCommon(list, s->common);
  list->add_option("--state", s->state, "parked, retried or discarded ('' for all)")
      ->capture_default_str();
  list->add_option("--partner", s->partner, "Only this partner (subscriber)");
  list->add_option("--cause", s->cause, "Only this cause (http_4xx, max_attempts, max_age, …)");
  list->add_option("--type", s->type, "Only this message type (order.received, …)");
  list->add_option("--kind", s->kind, "delivery or inbound");
  list->add_option("--limit", s->limit, "Most to list")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  list->add_option("--cursor", s->cursor, "Continue from the next_cursor of a previous page");
  list->callback([s] {
    s->run = [s = s.get()] {
      return Call(
          s->common, "GET",
          StrCat("/v1/dead-letters", Query({{"state", s->state},
                                            {"partner", s->partner},
                                            {"cause", s->cause},
                                            {"type", s->type},
                                            {"kind", s->kind},
                                            {"limit", StrCat(s->limit)},
                                            {"cursor", s->cursor > 0 ? StrCat(s->cursor) : ""}})));
    };
  });
  CLI::App* show = dl->add_subcommand(
      "show", "Show one dead letter: reason, every attempt, the original bytes.");
  AddCommon(show, s->common);
  show->add_option("id", s->ids, "Dead-letter id")->required()->expected(1);
  show->callback([s] {
    s->run = [s = s.get()] {
      return Call(s->common, "GET", StrCat("/v1/dead-letters/", s->ids[0]));
    };
  });

  CLI::App* retry = dl->add_subcommand(
      "retry", "Deliver parked dead letters again (by id, or --all matching the filters).");
  AddCommon(retry, s->common);
  retry->add_option("ids", s->ids, "Dead-letter ids");
  retry->add_flag("--all", s->all,
                  "Every parked delivery dead letter matching --partner/--cause/--type");
  retry->add_option("--partner", s->partner, "With --all: only this partner");
  retry->add_option("--cause", s->cause, "With --all: only this cause");
  retry->add_option("--type", s->type, "With --all: only this message type");
  retry->add_option("--limit", s->limit, "With --all: at most this many")
      ->check(CLI::Range(1, 10000));
  retry->add_option("--reason", s->reason, "Why (recorded in the audit log)");
  retry->callback([s] {
    s->run = [s = s.get()]() -> int {
      json::object body;
      if (!s->reason.empty()) body["reason"] = s->reason;
      if (s->all) {
        if (!s->ids.empty()) {
          std::cerr << "disthub: give ids or --all, not both\n";
          return 2;
        }
        if (!s->partner.empty()) body["partner"] = s->partner;
        if (!s->cause.empty()) body["cause"] = s->cause;
        if (!s->type.empty()) body["type"] = s->type;
        body["limit"] = s->limit;
        return Call(s->common, "POST", "/v1/dead-letters/retry", json::serialize(body));
      }
      if (s->ids.empty()) {
        std::cerr << "disthub: give the dead-letter ids to retry, or --all\n";
        return 2;
      }
      if (s->ids.size() == 1) {
        return Call(s->common, "POST", StrCat("/v1/dead-letters/", s->ids[0], "/retry"),
                    json::serialize(body));
      }
      json::array ids;
      for (int64_t id : s->ids) ids.emplace_back(id);
      body["ids"] = std::move(ids);
      return Call(s->common, "POST", "/v1/dead-letters/retry", json::serialize(body));
    };
  });
  CLI::App* discard =
      dl->add_subcommand("discard", "Discard a parked dead letter, with the reason.");
  AddCommon(discard, s->common);
  discard->add_option("id", s->ids, "Dead-letter id")->required()->expected(1);
  discard->add_option("--reason", s->reason, "Why (required; recorded in the audit log)")
      ->required();
  discard->callback([s] {
    s->run = [s = s.get()] {
      return Call(s->common, "POST", StrCat("/v1/dead-letters/", s->ids[0], "/discard"),
                  json::serialize(json::object{{"reason", s->reason}}));
    };
  });

  CLI::App* replay =
      app.add_subcommand("replay", "Redeliver events to one subscriber, and follow replays.");
  replay->require_subcommand(1);
  CLI::App* start = replay->add_subcommand(
      "start", "Start a replay; prints its id. Follow it with `disthub replay status ID`.");
  AddCommon(start, s->common);
  start->add_option("--subscriber", s->subscriber, "The subscriber to redeliver to")->required();
  start->add_option("--from-seq", s->from_seq, "First event seq (inclusive)");
  start->add_option("--to-seq", s->to_seq, "Last event seq (inclusive; default: the last now)");
  start->add_option("--from-time", s->from_time, "Events recorded at or after (RFC 3339)");
  start->add_option("--to-time", s->to_time, "Events recorded before (RFC 3339)");
  start->add_option("--subject", s->subject, "Only events about this subject (an order id)");
  start->add_option("--type", s->types, "Only these event types (default: the subscriber's)");
  start->callback([s] {
    s->run = [s = s.get()] {
      json::object body{{"subscriber", s->subscriber}};
      if (s->from_seq > 0) body["from_seq"] = s->from_seq;
      if (s->to_seq > 0) body["to_seq"] = s->to_seq;
      if (!s->from_time.empty()) body["from_time"] = s->from_time;
      if (!s->to_time.empty()) body["to_time"] = s->to_time;
      if (!s->subject.empty()) body["subject"] = s->subject;
      if (!s->types.empty()) {
        json::array t;
        for (const auto& x : s->types) t.emplace_back(x);
        body["types"] = std::move(t);
      }
      return Call(s->common, "POST", "/v1/replays", json::serialize(body));
    };
  });
  CLI::App* status =
      replay->add_subcommand("status", "Show one replay's progress, or every replay.");
  AddCommon(status, s->common);
  status->add_option("id", s->replay_id, "Replay id (default: list all)");
  status->callback([s] {
    s->run = [s = s.get()] {
      return Call(s->common, "GET",
                  s->replay_id.empty() ? "/v1/replays" : StrCat("/v1/replays/", s->replay_id));
    };
  });
  CLI::App* cancel =
      replay->add_subcommand("cancel", "Stop a running replay after its current page.");
  AddCommon(cancel, s->common);
  cancel->add_option("id", s->replay_id, "Replay id")->required();
  cancel->add_option("--reason", s->reason, "Why (recorded in the audit log)");
  cancel->callback([s] {
    s->run = [s = s.get()] {
      return Call(s->common, "POST", StrCat("/v1/replays/", s->replay_id, "/cancel"),
                  json::serialize(json::object{{"reason", s->reason}}));
    };
  });

  CLI::App* inventory = app.add_subcommand(
      "inventory",
      "Stock positions, availability and reconciliation (key scopes inventory:read, "
      "inventory:write).");
  inventory->require_subcommand(1);
  CLI::App* inv_show = inventory->add_subcommand(
      "show",
      "Show one SKU: every location (on hand, reserved, ATP) and every channel's sellable.");
  AddCommon(inv_show, s->common, "inventory:read");
  inv_show->add_option("sku", s->sku, "The SKU")->required();
  inv_show->callback([s] {
    s->run = [s = s.get()] { return Call(s->common, "GET", StrCat("/v1/inventory/", s->sku)); };
  });
  CLI::App* reconcile = inventory->add_subcommand(
      "reconcile",
      "Compare the hub's stock with a full count from the system of record and report every "
      "drift with its likely cause; with --apply, correct it. Shows progress, then the report.");
  AddCommon(reconcile, s->common, "inventory:write");
  reconcile
      ->add_option("file", s->file,
                   "The count: CSV with the columns sku, location and on_hand (in any order; "
                   "others are ignored), or JSON "
                   "{\"items\": [{\"sku\", \"location\", \"on_hand\"}]}. Every SKU the hub "
                   "holds at a location in the file but the file leaves out counts as 0.")
      ->required()
      ->check(CLI::ExistingFile);
  reconcile->add_flag("--apply", s->apply,
                      "Correct the drift (default: report only, change nothing)");
  auto* seq_opt = reconcile->add_option(
      "--sequence", s->from_seq,
      "The count's sequence number at the source: positions updated with a later one are "
      "reported, not corrected");
  reconcile
      ->add_option("--as-of", s->from_time,
                   "When the count was taken (RFC 3339), instead of --sequence")
      ->excludes(seq_opt);
  reconcile->callback([s] {
    s->run = [s = s.get()] {
      auto items = ReadCount(s->file);
      if (!items.ok()) {
        std::cerr << "disthub: " << items.status().message() << "\n";
        return 2;
      }
      if (s->from_seq <= 0 && s->from_time.empty()) {
        std::cerr << "disthub: give --sequence or --as-of: when the count was taken, so updates "
                     "that arrived since are not undone\n";
        return 2;
      }
      json::object body{{"apply", s->apply}, {"items", std::move(*items)}};
      if (s->from_seq > 0) body["sequence"] = s->from_seq;
      if (!s->from_time.empty()) body["as_of"] = s->from_time;
      Answer started =
          Fetch(s->common, "POST", "/v1/inventory/reconciliations", json::serialize(body));
      if (started.status != 202) return Print(started);
      std::string id = json::value_to<std::string>(json::parse(started.body).at("id"));
      while (true) {
        Answer a = Fetch(s->common, "GET", StrCat("/v1/inventory/reconciliations/", id));
        if (a.status != 200) return Print(a);
        json::object r = json::parse(a.body).as_object();
        std::cerr << "\r" << id << ": " << r.at("checked").as_int64() << "/"
                  << r.at("total").as_int64() << " positions checked, " << r.at("drifts").as_int64()
                  << " drifted" << std::flush;
        if (r.at("state").as_string() != "running") {
          std::cerr << "\n";
          PrintReport(r);
          return r.at("state").as_string() == "done" ? 0 : 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    };
  });
  CLI::App* reconciliation = inventory->add_subcommand(
      "reconciliation", "Show one reconciliation's report, or list the recent ones.");
  AddCommon(reconciliation, s->common, "inventory:read");
  reconciliation->add_option("id", s->replay_id, "Reconciliation id (default: list them)");
  reconciliation->callback([s] {
    s->run = [s = s.get()] {
      if (s->replay_id.empty()) return Call(s->common, "GET", "/v1/inventory/reconciliations");
      Answer a = Fetch(s->common, "GET", StrCat("/v1/inventory/reconciliations/", s->replay_id));
      if (a.status != 200) return Print(a);
      PrintReport(json::parse(a.body).as_object());
      return 0;
    };
  });

  CLI::App* deliveries = app.add_subcommand(
      "deliveries", "Show each subscriber's delivery state: circuit, waiting, in flight, dead.");
  AddCommon(deliveries, s->common);
  deliveries->callback(
      [s] { s->run = [s = s.get()] { return Call(s->common, "GET", "/v1/deliveries"); }; });

  return [s] { return s->run ? s->run() : -1; };
}

}  // namespace disthub
