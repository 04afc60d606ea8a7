#include "orchestration/lifecycle.h"

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <mutex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/json.h"
#include "status_matchers.h"
#include "store/sqlite/sqlite_store.h"

namespace disthub::orchestration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace json = boost::json;

// The lifecycle against the real store, writer and inventory service, with a fake clock
// driving the timers (the timer thread is not started: tests call FireDueTimers).
class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/disthub-lifecycle-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  void Open(LifecycleOptions options = Options()) {
    auto s = OpenSqliteStore({.path = dir_ + "/hub.db", .synchronous = "normal"});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
    queue_ = std::make_unique<CommitQueue>(store_.get(), CommitQueueOptions{});
    inventory::InventoryOptions inv;
    inv.channels = {"web", "b2b"};
    inv.rules = {{.channel = "web", .excluded_locations = {"3pl"}}};
    inventory_ = std::make_unique<inventory::InventoryService>(store_.get(), queue_.get(), &clock_,
                                                               &metrics_, inv);
    ASSERT_TRUE(inventory_->Load().ok());
    lifecycle_ = std::make_unique<Lifecycle>(store_.get(), queue_.get(), inventory_.get(), nullptr,
                                             &clock_, &metrics_, &ids_, std::move(options));
    intake_ = std::make_unique<OrderIntake>(queue_.get(), lifecycle_->Hooks());
  }
  void Close() {
    if (lifecycle_) lifecycle_->Drain();
    intake_.reset();
    if (queue_) queue_->Close();
    lifecycle_.reset();
    inventory_.reset();
    queue_.reset();
    store_.reset();
  }

  static LifecycleOptions Options() {
    LifecycleOptions o;
    o.locations = {{.name = "east",
                    .ack_deadline = absl::Minutes(15),
                    .release_attempts = 2,
                    .regions = {"NY"}},
                   {.name = "west",
                    .ack_deadline = absl::Minutes(15),
                    .release_attempts = 2,
                    .regions = {"CA"}},
                   {.name = "3pl", .ack_deadline = absl::Minutes(15), .release_attempts = 2}};
    o.channels = {
        {.name = "web",
         .sourcing = {.ship_complete = ShipComplete::kPreferred},
         .status_updates = {"released", "shipped", "cancelled"}},
        {.name = "b2b",
         .sourcing = {.ship_complete = ShipComplete::kNo, .split_lines = true},
         .promise = absl::Hours(48)}};
    o.backorder_recheck = absl::Minutes(5);
    o.close_after = absl::Hours(24 * 30);
    return o;
  }

  void Stock(const std::string& sku, const std::string& location, int64_t on_hand) {
    std::promise<void> done;
    inventory_->ApplyUpdates(
        "wms",
        {{.message_id = StrCat("m", ++stock_seq_),
          .kind = "snapshot",
          .update =
              {.sku = sku, .location = location, .on_hand = on_hand, .sequence = stock_seq_}}},
        [&](absl::StatusOr<std::vector<inventory::UpdateOutcome>> r) {
          EXPECT_TRUE(r.ok()) << r.status();
          done.set_value();
        });
    done.get_future().wait();
  }

  // Takes an order in through intake (which nudges the lifecycle) and waits for the
  // lifecycle's first step. Returns the order id.
  std::string Place(const std::string& channel, std::vector<std::pair<std::string, int64_t>> lines,
                    const std::string& region = "NY") {
    Order o;
    o.channel = channel;
    o.channel_order_ref = StrCat("ref-", ++ref_);
    o.currency = "USD";
    o.ship_to = {.name = "Pat",
                 .line1 = "1 Main St",
                 .city = "Town",
                 .region = region,
                 .postal_code = "10001",
                 .country = "US"};
    int n = 0;
    for (auto& [sku, qty] : lines) {
      o.lines.push_back({.line_no = ++n,
                         .sku = sku,
                         .quantity = qty,
                         .unit_price = {.minor = 250, .currency = "USD"},
                         .tax = {.minor = 0, .currency = "USD"}});
    }
    SetTotals(o);
    OrderRecord rec = AcceptNewOrder(o, ids_, clock_.Now());
    std::promise<absl::StatusOr<IntakeResult>> p;
    intake_->Submit({.order = rec, .causation_id = "req_" + rec.id},
                    [&](absl::StatusOr<IntakeResult> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.status();
    lifecycle_->Drain();
    return rec.id;
  }

  static void SetTotals(Order& o) {
    int64_t sub = 0;
    for (const OrderLine& l : o.lines) sub += l.unit_price.minor * l.quantity;
    o.totals = {.subtotal = {sub, "USD"},
                .discount = {0, "USD"},
                .tax = {0, "USD"},
                .shipping = {0, "USD"},
                .grand_total = {sub, "USD"}};
  }

  template <typename Fn>
  Answer Call(Fn fn) {
    std::promise<absl::StatusOr<Answer>> p;
    fn([&](absl::StatusOr<Answer> a) { p.set_value(std::move(a)); });
    absl::StatusOr<Answer> a = p.get_future().get();
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : Answer{.verdict = Verdict::kRefused, .reason = a.status().ToString()};
  }
  Answer Ack(const std::string& fo) {
    return Call([&](auto done) { lifecycle_->Acknowledge(fo, {.id = "ack"}, std::move(done)); });
  }
  Answer Ship(const std::string& fo, ShipmentInput in) {
    return Call([&](auto done) { lifecycle_->Ship(fo, in, {.id = "ship"}, std::move(done)); });
  }
  Answer CancelOrder(const std::string& order) {
    return Call([&](auto done) {
      lifecycle_->Cancel(order, "customer asked", {.id = "cancel"}, std::move(done));
    });
  }
  Answer AnswerCancel(const std::string& fo, bool accepted) {
    return Call([&](auto done) {
      lifecycle_->AnswerCancellation(fo, accepted, accepted ? "" : "already picked",
                                     {.id = "answer"}, std::move(done));
    });
  }
  Answer Return(const std::string& order, std::string ref, std::vector<ReturnLine> lines) {
    return Call([&](auto done) {
      lifecycle_->RequestReturn(order, {.reference = ref, .lines = lines}, {.id = "rma"},
                                std::move(done));
    });
  }
  Answer Receive(const std::string& ret, std::vector<ReturnLine> lines) {
    return Call(
        [&](auto done) { lifecycle_->ReceiveReturn(ret, lines, {.id = "rcv"}, std::move(done)); });
  }
  Answer Inspect(const std::string& ret, std::vector<ReturnLine> lines) {
    return Call(
        [&](auto done) { lifecycle_->InspectReturn(ret, lines, {.id = "insp"}, std::move(done)); });
  }
  void Fire(absl::Duration later) {
    clock_.Advance(later);
    lifecycle_->FireDueTimers();
    lifecycle_->Drain();
  }

  std::string Status(const std::string& order) {
    auto o = store_->GetOrder(order);
    EXPECT_TRUE(o.ok() && o->has_value());
    return o.ok() && o->has_value() ? (*o)->status : "";
  }
  std::vector<FulfillmentRecord> Fos(const std::string& order) {
    auto f = store_->ListFulfillments(order);
    EXPECT_TRUE(f.ok());
    return f.ok() ? *f : std::vector<FulfillmentRecord>{};
  }
  // The types of the order's events, in order.
  std::vector<std::string> Types(const std::string& order) {
    auto e = store_->QueryEvents({.subject = order, .limit = 1000});
    std::vector<std::string> out;
    if (e.ok()) {
      for (const EventRecord& r : *e) out.push_back(r.type);
    }
    return out;
  }
  std::vector<EventRecord> EventsOf(const std::string& order, const std::string& type) {
    auto e = store_->QueryEvents({.subject = order, .types = {type}, .limit = 1000});
    return e.ok() ? *e : std::vector<EventRecord>{};
  }
  inventory::Position At(const std::string& sku, const std::string& location) {
    auto v = inventory_->Get(sku);
    if (v.ok()) {
      for (const inventory::Position& p : v->positions) {
        if (p.location == location) return p;
      }
    }
    return {};
  }

  std::string dir_;
  FakeClock clock_;
  Registry metrics_;
  IdGenerator ids_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitQueue> queue_;
  std::unique_ptr<inventory::InventoryService> inventory_;
  std::unique_ptr<Lifecycle> lifecycle_;
  std::unique_ptr<OrderIntake> intake_;
  int64_t stock_seq_ = 0;
  int ref_ = 0;
};

TEST_F(LifecycleTest, AnOrderGoesFromIntakeToInvoicedAndClosed) {
  Stock("A", "east", 10);
  Stock("A", "west", 10);
  std::string id = Place("web", {{"A", 3}}, "CA");
  EXPECT_EQ(Status(id), "released");
  auto fos = Fos(id);
  ASSERT_EQ(fos.size(), 1u);
  EXPECT_EQ(fos[0].location, "west");  // serves CA
  EXPECT_EQ(fos[0].state, "released");
  EXPECT_EQ(At("A", "west").reserved, 3);

  // The release message carries what the warehouse needs.
  auto releases = EventsOf(id, "fulfillment.release.west");
  ASSERT_EQ(releases.size(), 1u);
  json::object p = json::parse(releases[0].payload).as_object();
  EXPECT_EQ(p.at("fulfillment_id").as_string(), fos[0].id);
  EXPECT_EQ(p.at("attempt").as_int64(), 1);
  EXPECT_EQ(p.at("lines").as_array().at(0).as_object().at("quantity").as_int64(), 3);
  EXPECT_EQ(p.at("ship_to").as_object().at("region").as_string(), "CA");

  EXPECT_EQ(Ack(fos[0].id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "acknowledged");
  Answer again = Ack(fos[0].id);
  EXPECT_EQ(again.verdict, Verdict::kUnchanged);
  EXPECT_THAT(again.reason, HasSubstr("already acknowledged"));

  Answer shipped = Ship(fos[0].id, {.shipment_id = "s1",
                                    .lines = {{1, 3}},
                                    .carrier = "parcel-ground",
                                    .tracking = "1Z1",
                                    .final = true});
  EXPECT_EQ(shipped.verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  EXPECT_EQ(At("A", "west").on_hand, 7);
  EXPECT_EQ(At("A", "west").reserved, 0);
  auto invoices = EventsOf(id, "invoice.posted");
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(json::parse(invoices[0].payload).as_object().at("total_minor").as_int64(), 750);

  EXPECT_THAT(Types(id),
              ElementsAre("order.received", "order.accepted", "inventory.reserved",
                          "order.allocated", "fulfillment.release.west", "order.released",
                          "order.status.web", "fulfillment.acknowledged", "order.acknowledged",
                          "inventory.consumed", "fulfillment.shipped", "order.shipped",
                          "order.status.web", "invoice.posted", "order.invoiced"));
  // No timer fires before the return window ends; then the order closes.
  Fire(absl::Hours(24));
  EXPECT_EQ(Status(id), "invoiced");
  Fire(absl::Hours(24 * 30));
  EXPECT_EQ(Status(id), "closed");
  auto timers = store_->ListTimers(id);
  ASSERT_TRUE(timers.ok());
  EXPECT_TRUE(timers->empty());
}

TEST_F(LifecycleTest, ASilentWarehouseGetsTheReleaseAgainThenTheOrderIsRerouted) {
  Stock("A", "east", 10);
  Stock("A", "west", 10);
  std::string id = Place("web", {{"A", 2}}, "NY");
  std::string first = Fos(id)[0].id;
  EXPECT_EQ(Fos(id)[0].location, "east");

  Fire(absl::Minutes(14));  // not yet
  EXPECT_EQ(EventsOf(id, "fulfillment.release.east").size(), 1u);
  Fire(absl::Minutes(2));  // past the deadline: released again
  EXPECT_EQ(EventsOf(id, "fulfillment.release.east").size(), 2u);
  EXPECT_EQ(Fos(id)[0].attempt, 2);
  Fire(absl::Minutes(16));  // the second release is not acknowledged either: reroute ...
  // ... once the silent warehouse confirms it dropped it, so it never ships twice.
  EXPECT_EQ(Fos(id).size(), 1u);
  EXPECT_EQ(Fos(id)[0].state, "cancel_requested");
  EXPECT_EQ(EventsOf(id, "fulfillment.cancel.east").size(), 1u);
  EXPECT_EQ(EventsOf(id, "fulfillment.reroute_requested").size(), 1u);
  EXPECT_TRUE(EventsOf(id, "fulfillment.release.west").empty());
  EXPECT_EQ(AnswerCancel(first, true).verdict, Verdict::kApplied);
  auto fos = Fos(id);
  ASSERT_EQ(fos.size(), 2u);
  EXPECT_EQ(fos[0].state, "rerouted");
  EXPECT_EQ(fos[1].location, "west");
  EXPECT_EQ(fos[1].state, "released");
  EXPECT_EQ(At("A", "east").reserved, 0);  // the reservation moved with it
  EXPECT_EQ(At("A", "west").reserved, 2);
  EXPECT_EQ(EventsOf(id, "fulfillment.release.west").size(), 1u);

  // The silent warehouse waking up changes nothing; the new one proceeds.
  EXPECT_EQ(Ack(first).verdict, Verdict::kUnchanged);
  Answer late = Ship(first, {.shipment_id = "s-late", .lines = {{1, 2}}});
  EXPECT_EQ(late.verdict, Verdict::kRefused);
  EXPECT_EQ(EventsOf(id, "alert.shipment_after_cancel").size(), 1u);
  EXPECT_EQ(Ack(fos[1].id).verdict, Verdict::kApplied);
  EXPECT_EQ(Ship(fos[1].id, {.shipment_id = "s1", .lines = {{1, 2}}}).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  EXPECT_EQ(At("A", "west").on_hand, 8);
  EXPECT_EQ(At("A", "east").on_hand, 10);
}

TEST_F(LifecycleTest, WithNowhereToRerouteTheOrderIsEscalatedOnce) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 1}});
  Fire(absl::Minutes(16));
  Fire(absl::Minutes(16));
  EXPECT_EQ(EventsOf(id, "order.escalated").size(), 1u);
  EXPECT_EQ(EventsOf(id, "alert.escalated").size(), 1u);
  Fire(absl::Minutes(60));
  EXPECT_EQ(EventsOf(id, "order.escalated").size(), 1u);
  // The warehouse may still answer.
  EXPECT_EQ(Ack(Fos(id)[0].id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "acknowledged");
}

TEST_F(LifecycleTest, AShortOrderIsBackorderedAndReleasedWhenStockArrives) {
  Stock("A", "east", 1);
  std::string id = Place("web", {{"A", 3}});
  EXPECT_EQ(Status(id), "backordered");
  EXPECT_EQ(At("A", "east").reserved, 0);  // nothing is held for a backorder
  Fire(absl::Minutes(6));
  EXPECT_EQ(Status(id), "backordered");
  EXPECT_EQ(EventsOf(id, "order.backordered").size(), 1u);  // still short: no new transition
  Stock("A", "east", 5);
  Fire(absl::Minutes(6));
  EXPECT_EQ(Status(id), "released");
  EXPECT_EQ(At("A", "east").reserved, 3);
}

TEST_F(LifecycleTest, ShipCompleteRequiredWaitsInsteadOfSplitting) {
  LifecycleOptions o = Options();
  o.channels[0].sourcing.ship_complete = ShipComplete::kRequired;
  Close();
  Open(o);
  Stock("A", "east", 5);
  Stock("B", "west", 5);
  std::string id = Place("web", {{"A", 1}, {"B", 1}});
  EXPECT_EQ(Status(id), "backordered");
}

TEST_F(LifecycleTest, ASplitOrderShipsFromTwoLocationsAndIsShippedWhenBothHave) {
  Stock("A", "east", 5);
  Stock("B", "west", 5);
  std::string id = Place("b2b", {{"A", 2}, {"B", 4}});
  auto fos = Fos(id);
  ASSERT_EQ(fos.size(), 2u);
  EXPECT_EQ(Ack(fos[0].id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "released");  // one of two acknowledged
  EXPECT_EQ(Ack(fos[1].id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "acknowledged");
  // A partial shipment, its repeat, then the rest.
  const std::string& west = fos[0].location == "west" ? fos[0].id : fos[1].id;
  const std::string& east = fos[0].location == "east" ? fos[0].id : fos[1].id;
  EXPECT_EQ(Ship(west, {.shipment_id = "w1", .lines = {{2, 1}}, .final = false}).verdict,
            Verdict::kApplied);
  EXPECT_EQ(Status(id), "partially_shipped");
  EXPECT_EQ(Ship(west, {.shipment_id = "w1", .lines = {{2, 1}}, .final = false}).verdict,
            Verdict::kUnchanged);
  Answer too_many = Ship(west, {.shipment_id = "w2", .lines = {{2, 4}}, .final = true});
  EXPECT_EQ(too_many.verdict, Verdict::kRefused);
  EXPECT_THAT(too_many.reason, HasSubstr("exceed"));
  EXPECT_EQ(Ship(west, {.shipment_id = "w2", .lines = {{2, 3}}, .final = true}).verdict,
            Verdict::kApplied);
  EXPECT_EQ(Status(id), "partially_shipped");
  EXPECT_EQ(Ship(east, {.shipment_id = "e1", .lines = {{1, 2}}}).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  EXPECT_EQ(At("B", "west").on_hand, 1);
}

TEST_F(LifecycleTest, AShortFinalShipmentReleasesWhatDidNotShip) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 4}});
  std::string fo = Fos(id)[0].id;
  EXPECT_EQ(Ship(fo, {.shipment_id = "s1", .lines = {{1, 3}}, .final = true}).verdict,
            Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  EXPECT_EQ(At("A", "east").on_hand, 7);
  EXPECT_EQ(At("A", "east").reserved, 0);
  EXPECT_EQ(EventsOf(id, "fulfillment.short").size(), 1u);
  auto invoice = EventsOf(id, "invoice.posted");
  ASSERT_EQ(invoice.size(), 1u);
  EXPECT_EQ(json::parse(invoice[0].payload).as_object().at("subtotal_minor").as_int64(),
            750);  // 3 × 2.50
}

TEST_F(LifecycleTest, CancellingBeforeReleaseReleasesTheStockAtOnce) {
  Stock("A", "east", 1);
  std::string id = Place("web", {{"A", 3}});
  ASSERT_EQ(Status(id), "backordered");
  EXPECT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "cancelled");
  EXPECT_EQ(CancelOrder(id).verdict, Verdict::kUnchanged);
  auto timers = store_->ListTimers(id);
  ASSERT_TRUE(timers.ok());
  EXPECT_TRUE(timers->empty());  // the backorder re-check is gone
}

TEST_F(LifecycleTest, CancellingAfterReleaseWaitsForTheWarehouse) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  std::string fo = Fos(id)[0].id;
  ASSERT_EQ(Ack(fo).verdict, Verdict::kApplied);
  EXPECT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "acknowledged");  // not yet: the warehouse must answer
  EXPECT_EQ(Fos(id)[0].state, "cancel_requested");
  EXPECT_EQ(EventsOf(id, "fulfillment.cancel.east").size(), 1u);
  EXPECT_EQ(CancelOrder(id).verdict, Verdict::kUnchanged);  // asked once
  EXPECT_EQ(At("A", "east").reserved, 2);
  EXPECT_EQ(AnswerCancel(fo, true).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "cancelled");
  EXPECT_EQ(At("A", "east").reserved, 0);
  EXPECT_EQ(AnswerCancel(fo, true).verdict, Verdict::kUnchanged);
  EXPECT_EQ(EventsOf(id, "order.status.web").size(), 2u);  // released, cancelled
}

TEST_F(LifecycleTest, AnUnansweredCancellationIsEscalatedOnceAndTheStockStaysHeld) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  std::string fo = Fos(id)[0].id;
  ASSERT_EQ(Ack(fo).verdict, Verdict::kApplied);
  ASSERT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  Fire(absl::Minutes(16));  // past east's acknowledgement deadline: no answer
  EXPECT_EQ(EventsOf(id, "alert.cancel_unconfirmed").size(), 1u);
  EXPECT_EQ(Fos(id)[0].state, "cancel_requested");  // it may yet ship
  EXPECT_EQ(At("A", "east").reserved, 2);
  Fire(absl::Minutes(16));
  EXPECT_EQ(EventsOf(id, "alert.cancel_unconfirmed").size(), 1u);  // once
  EXPECT_EQ(AnswerCancel(fo, true).verdict, Verdict::kApplied);  // a late answer still counts
  EXPECT_EQ(Status(id), "cancelled");
  EXPECT_EQ(At("A", "east").reserved, 0);
}

TEST_F(LifecycleTest, AnAnsweredCancellationRaisesNoAlert) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  std::string fo = Fos(id)[0].id;
  ASSERT_EQ(Ack(fo).verdict, Verdict::kApplied);
  ASSERT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  ASSERT_EQ(AnswerCancel(fo, false).verdict, Verdict::kApplied);  // refused: it ships
  Fire(absl::Minutes(16));
  EXPECT_TRUE(EventsOf(id, "alert.cancel_unconfirmed").empty());
}

TEST_F(LifecycleTest, AWarehouseThatRefusesTheCancellationShipsTheOrder) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  std::string fo = Fos(id)[0].id;
  ASSERT_EQ(Ack(fo).verdict, Verdict::kApplied);
  ASSERT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  Answer refused = AnswerCancel(fo, false);
  EXPECT_EQ(refused.verdict, Verdict::kApplied);
  EXPECT_THAT(refused.reason, HasSubstr("already picked"));
  EXPECT_EQ(Fos(id)[0].state, "acknowledged");
  EXPECT_EQ(Ship(fo, {.shipment_id = "s1", .lines = {{1, 2}}}).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  Answer late = CancelOrder(id);
  EXPECT_EQ(late.verdict, Verdict::kRefused);
  EXPECT_THAT(late.reason, HasSubstr("return it"));
}

TEST_F(LifecycleTest, UnknownIdsAreNotFoundAndChangeNothing) {
  EXPECT_EQ(Ack("ful_nope").verdict, Verdict::kNotFound);
  EXPECT_EQ(CancelOrder("ord_nope").verdict, Verdict::kNotFound);
  auto last = store_->LastEventSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 0);
}

TEST_F(LifecycleTest, TimersAndStateSurviveARestart) {
  Stock("A", "east", 10);
  Stock("A", "west", 10);
  std::string id = Place("web", {{"A", 2}});
  Close();
  Open();
  EXPECT_EQ(Status(id), "released");
  EXPECT_EQ(At("A", "east").reserved, 2);  // the ledger reloaded
  Fire(absl::Minutes(16));
  Fire(absl::Minutes(16));  // reroute asked: waits for the cancellation's answer ...
  Close();
  Open();
  Fire(absl::Minutes(16));  // ... which never comes: past the deadline it moves anyway
  auto fos = Fos(id);
  ASSERT_EQ(fos.size(), 2u);
  EXPECT_EQ(fos[1].location, "west");
  EXPECT_EQ(EventsOf(id, "alert.reroute_unconfirmed").size(), 1u);
}

TEST_F(LifecycleTest, ASlowWarehouseThatRefusesTheRerouteCancellationKeepsTheOrder) {
  Stock("A", "east", 10);
  Stock("A", "west", 10);
  std::string id = Place("web", {{"A", 2}});
  std::string first = Fos(id)[0].id;
  Fire(absl::Minutes(16));
  Fire(absl::Minutes(16));
  ASSERT_EQ(Fos(id)[0].state, "cancel_requested");
  EXPECT_EQ(AnswerCancel(first, false).verdict, Verdict::kApplied);  // it has it: ships
  EXPECT_EQ(Fos(id).size(), 1u);
  EXPECT_EQ(Fos(id)[0].state, "acknowledged");
  EXPECT_EQ(EventsOf(id, "fulfillment.reroute_refused").size(), 1u);
  Fire(absl::Minutes(60));  // no reroute deadline left to fire
  EXPECT_EQ(Fos(id).size(), 1u);
  EXPECT_EQ(Ship(first, {.shipment_id = "s1", .lines = {{1, 2}}}).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "invoiced");
  EXPECT_EQ(At("A", "east").on_hand, 8);
  EXPECT_EQ(At("A", "west").reserved, 0);
}

TEST_F(LifecycleTest, AnOrderWhoseNudgeWasLostIsTakenForwardByItsTimer) {
  Stock("A", "east", 10);
  // An order committed by intake without the lifecycle's nudge (as after a crash right
  // after the commit): only its durable timer knows it must go on.
  Order o;
  o.channel = "web";
  o.channel_order_ref = "lost-nudge";
  o.currency = "USD";
  o.ship_to = {.name = "Pat",
               .line1 = "1 Main St",
               .city = "Town",
               .region = "NY",
               .postal_code = "10001",
               .country = "US"};
  o.lines.push_back({.line_no = 1,
                     .sku = "A",
                     .quantity = 1,
                     .unit_price = {.minor = 1, .currency = "USD"},
                     .tax = {.minor = 0, .currency = "USD"}});
  SetTotals(o);
  OrderRecord rec = AcceptNewOrder(o, ids_, clock_.Now());
  IntakeHooks hooks = lifecycle_->Hooks();
  hooks.created = nullptr;
  OrderIntake quiet(queue_.get(), hooks);
  std::promise<void> p;
  quiet.Submit({.order = rec}, [&](absl::StatusOr<IntakeResult>) { p.set_value(); });
  p.get_future().wait();
  EXPECT_EQ(Status(rec.id), "received");
  Fire(absl::Seconds(6));
  EXPECT_EQ(Status(rec.id), "released");
}

// Shipped, then returned: requested → authorized (the shipping warehouse is told to expect
// it) → received → inspected (restocked where accepted) → credited (credit memo to the
// ERP, refund to the channel) → closed.
TEST_F(LifecycleTest, AReturnIsAuthorizedReceivedInspectedRestockedAndCredited) {
  Stock("A", "east", 10);
  Stock("B", "east", 10);
  std::string id = Place("web", {{"A", 3}, {"B", 2}});
  std::string fo = Fos(id)[0].id;
  ASSERT_EQ(Ship(fo, {.shipment_id = "s1", .lines = {{1, 3}, {2, 2}}}).verdict, Verdict::kApplied);
  ASSERT_EQ(Status(id), "invoiced");

  Answer asked = Return(id, "RMA-1",
                        {{.line = 1, .quantity = 2, .reason = "damaged"},
                         {.line = 2, .quantity = 1, .reason = "unwanted"}});
  ASSERT_EQ(asked.verdict, Verdict::kApplied) << asked.reason;
  EXPECT_EQ(asked.return_state, "authorized");
  EXPECT_EQ(EventsOf(id, "return.expected.east").size(), 1u);
  // The same RMA again changes nothing; more than shipped is refused.
  EXPECT_EQ(Return(id, "RMA-1", {{.line = 1, .quantity = 2}}).verdict, Verdict::kUnchanged);
  Answer too_many = Return(id, "RMA-2", {{.line = 1, .quantity = 2}});
  EXPECT_EQ(too_many.verdict, Verdict::kRefused);
  EXPECT_THAT(too_many.reason, HasSubstr("already being returned"));

  EXPECT_EQ(
      Receive(asked.return_id, {{.line = 1, .quantity = 2}, {.line = 2, .quantity = 1}}).verdict,
      Verdict::kApplied);
  EXPECT_EQ(Receive(asked.return_id, {{.line = 1, .quantity = 2}}).verdict, Verdict::kUnchanged);
  // One glove box is resellable, the other is not; the paper comes back whole.
  Answer inspected = Inspect(asked.return_id, {{.line = 1, .quantity = 2, .restock = false},
                                               {.line = 2, .quantity = 1, .restock = true}});
  ASSERT_EQ(inspected.verdict, Verdict::kApplied) << inspected.reason;
  EXPECT_EQ(inspected.return_state, "closed");
  EXPECT_EQ(At("A", "east").on_hand, 7);  // not restocked
  EXPECT_EQ(At("B", "east").on_hand, 9);  // 10 - 2 + 1
  auto memo = EventsOf(id, "credit_memo.posted");
  ASSERT_EQ(memo.size(), 1u);
  EXPECT_EQ(json::parse(memo[0].payload).as_object().at("total_minor").as_int64(),
            750);  // 3 × 2.50
  auto refunds = EventsOf(id, "return.status.web");
  ASSERT_EQ(refunds.size(), 2u);  // authorized, credited
  EXPECT_EQ(json::parse(refunds[1].payload).as_object().at("refund_minor").as_int64(), 750);
  auto stored = store_->ListReturns(id);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].state, "closed");
  EXPECT_EQ(Inspect(asked.return_id, {{.line = 1, .quantity = 1}}).verdict, Verdict::kUnchanged);
}

TEST_F(LifecycleTest, ReturnsNeedShippedGoodsAndAnOpenReturnWindow) {
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 1}});
  EXPECT_EQ(Return(id, "RMA-1", {{.line = 1, .quantity = 1}}).verdict, Verdict::kRefused);
  ASSERT_EQ(Ship(Fos(id)[0].id, {.shipment_id = "s1", .lines = {{1, 1}}}).verdict,
            Verdict::kApplied);
  EXPECT_EQ(Return(id, "RMA-1", {{.line = 9, .quantity = 1}}).verdict, Verdict::kRefused);
  // An inspection that accepts nothing rejects the return; the units may be asked again.
  Answer a = Return(id, "RMA-2", {{.line = 1, .quantity = 1}});
  ASSERT_EQ(a.verdict, Verdict::kApplied);
  Answer rejected = Inspect(a.return_id, {{.line = 1, .quantity = 0, .reason = "used"}});
  EXPECT_EQ(rejected.return_state, "rejected");
  EXPECT_EQ(EventsOf(id, "credit_memo.posted").size(), 0u);
  EXPECT_EQ(Return(id, "RMA-3", {{.line = 1, .quantity = 1}}).verdict, Verdict::kApplied);
  Fire(absl::Hours(24 * 31));
  EXPECT_EQ(Status(id), "closed");
  Answer late = Return(id, "RMA-4", {{.line = 1, .quantity = 1}});
  EXPECT_EQ(late.verdict, Verdict::kRefused);
  EXPECT_THAT(late.reason, HasSubstr("return window"));
}

TEST_F(LifecycleTest, AnOrderNotShippedByTheChannelsPromiseRaisesAnAlert) {
  Stock("A", "east", 10);
  std::string late = Place("b2b", {{"A", 1}});
  std::string on_time = Place("b2b", {{"A", 1}});
  ASSERT_EQ(Ship(Fos(on_time)[0].id, {.shipment_id = "s1", .lines = {{1, 1}}}).verdict,
            Verdict::kApplied);
  Fire(absl::Hours(47));
  EXPECT_TRUE(EventsOf(late, "alert.promise_missed").empty());
  Fire(absl::Hours(2));
  EXPECT_EQ(EventsOf(late, "order.promise_missed").size(), 1u);
  EXPECT_EQ(EventsOf(late, "alert.promise_missed").size(), 1u);
  EXPECT_TRUE(EventsOf(on_time, "alert.promise_missed").empty());
  EXPECT_NE(metrics_.Render().find("disthub_orders_past_promise_total 1"), std::string::npos);
}

TEST_F(LifecycleTest, CarrierRatesChooseTheLocationAndServiceThatMeetThePromise) {
  LifecycleOptions o = Options();
  o.locations[0].origin = "NJ";  // east
  o.locations[1].origin = "CA";  // west
  o.carriers = {{.carrier = "parcel-ground",
                 .service = "ground",
                 .transit_days = {1, 1, 2, 3, 4, 5, 5, 6},
                 .rates = {{.up_to_grams = 100'000, .by_zone = {5, 6, 7, 8, 9, 10, 11, 12}}}},
                {.carrier = "parcel-express",
                 .service = "two-day",
                 .transit_days = {1, 1, 1, 2, 2, 2, 2, 2},
                 .rates = {{.up_to_grams = 100'000, .by_zone = {20, 21, 22, 23, 24, 25, 26, 27}}}}};
  Close();
  Open(std::move(o));
  // b2b promises 48 hours: 2 days. To CA both warehouses have stock: the west one is local.
  Stock("A", "east", 10);
  Stock("A", "west", 10);
  std::string near = Place("b2b", {{"A", 1}}, "CA");
  auto fos = Fos(near);
  ASSERT_EQ(fos.size(), 1u);
  EXPECT_EQ(fos[0].location, "west");
  auto release = EventsOf(near, "fulfillment.release.west");
  ASSERT_EQ(release.size(), 1u);
  json::object p = json::parse(release[0].payload).as_object();
  EXPECT_EQ(p.at("carrier"), "parcel-ground");
  EXPECT_EQ(p.at("shipping").as_object().at("zone").as_int64(), 1);
  // Only the east one has B: to CA in two days that takes express, zone 8.
  Stock("B", "east", 10);
  std::string far = Place("b2b", {{"B", 1}}, "CA");
  release = EventsOf(far, "fulfillment.release.east");
  ASSERT_EQ(release.size(), 1u);
  p = json::parse(release[0].payload).as_object();
  EXPECT_EQ(p.at("carrier"), "parcel-express");
  EXPECT_EQ(p.at("service"), "two-day");
  EXPECT_EQ(p.at("shipping").as_object().at("zone").as_int64(), 8);
  EXPECT_EQ(p.at("shipping").as_object().at("cost_minor").as_int64(), 27);
  EXPECT_TRUE(p.at("shipping").as_object().at("meets_promise").as_bool());
  // web has no promise: the cheapest service whatever its time.
  Stock("C", "east", 10);
  std::string slow = Place("web", {{"C", 1}}, "CA");
  release = EventsOf(slow, "fulfillment.release.east");
  ASSERT_EQ(release.size(), 1u);
  EXPECT_EQ(json::parse(release[0].payload).at("carrier"), "parcel-ground");
}

TEST_F(LifecycleTest, AShortSkuIsSubstitutedWhereTheChannelAllowsIt) {
  LifecycleOptions o = Options();
  o.substitutes = {{"A", {"A2", "A3"}}};
  o.channels[1].substitutions = true;  // b2b; web wants what it ordered
  Close();
  Open(std::move(o));
  Stock("A", "east", 1);
  Stock("A2", "east", 1);  // not enough either
  Stock("A3", "east", 10);
  Stock("B", "east", 10);
  std::string id = Place("b2b", {{"A", 2}, {"B", 1}});
  EXPECT_EQ(Status(id), "released");
  auto subs = EventsOf(id, "order.substituted");
  ASSERT_EQ(subs.size(), 1u);
  json::object p = json::parse(subs[0].payload).as_object();
  EXPECT_EQ(p.at("line").as_int64(), 1);
  EXPECT_EQ(p.at("from"), "A");
  EXPECT_EQ(p.at("to"), "A3");
  EXPECT_EQ(At("A3", "east").reserved, 2);
  EXPECT_EQ(At("A", "east").reserved, 0);
  EXPECT_EQ(At("B", "east").reserved, 1);  // a line with stock keeps its SKU
  auto stored = store_->GetOrder(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  Decoded<Order> order = DecodeOrderText((*stored)->body, DecodeMode::kStored);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(order.value->lines[0].sku, "A3");
  EXPECT_TRUE(order.value->attributes.empty());  // the partner's, untouched
  EXPECT_NE(metrics_.Render().find("disthub_order_substitutions_total 1"), std::string::npos);

  std::string web = Place("web", {{"A", 2}});
  EXPECT_EQ(Status(web), "backordered");
  EXPECT_TRUE(EventsOf(web, "order.substituted").empty());
}

// The ERP as the lifecycle sees it, scripted: what it answers and what it was asked.
class FakeErp final : public ErpGateway {
 public:
  absl::StatusOr<std::vector<QuotedLine>> Quote(const Order& order,
                                                const std::vector<int64_t>& eaches) override {
    std::lock_guard<std::mutex> lock(mu);
    ++quotes;
    if (!quote_status.ok()) return quote_status;
    std::vector<QuotedLine> out;
    for (size_t i = 0; i < order.lines.size(); ++i) {
      out.push_back({.line = order.lines[i].line_no,
                     .unit_price_minor = unit_price,
                     .tax_minor = eaches[i] * unit_price / 10});
    }
    return out;
  }
  absl::StatusOr<CreditAnswer> CheckCredit(const Order&, const std::string&,
                                           int64_t amount) override {
    std::lock_guard<std::mutex> lock(mu);
    amounts.push_back(amount);
    if (!credit_status.ok()) return credit_status;
    return CreditAnswer{.approved = approve,
                        .reason = approve ? "approved" : "over_limit",
                        .limit_minor = 10'000,
                        .available_minor = 900};
  }

  std::mutex mu;
  absl::Status quote_status;
  absl::Status credit_status;
  bool approve = true;
  int64_t unit_price = 300;
  int quotes = 0;
  std::vector<int64_t> amounts;
};

class ErpLifecycleTest : public LifecycleTest {
 protected:
  // b2b: credit checked, ERP pricing; web: credit checked, accepted under 1,000 without ERP.
  void WithErp(CreditFallback fallback = CreditFallback::kHold) {
    LifecycleOptions o = Options();
    o.channels[1].credit = {.check = true};
    o.channels[1].erp_pricing = true;
    o.channels[0].credit = {.check = true, .fallback = fallback, .accept_under_minor = 1'000};
    auto erp = std::make_shared<FakeErp>();
    erp_ = erp.get();
    o.erp = std::move(erp);
    o.erp_retry = absl::Minutes(1);
    Close();
    Open(std::move(o));
  }
  void SetErp(absl::Status credit, bool approve = true) {
    std::lock_guard<std::mutex> lock(erp_->mu);
    erp_->credit_status = std::move(credit);
    erp_->approve = approve;
  }
  std::vector<std::string> Timers(const std::string& order) {
    auto t = store_->ListTimers(order);
    std::vector<std::string> out;
    if (t.ok()) {
      for (const TimerRecord& r : *t) out.push_back(r.id);
    }
    return out;
  }
  FakeErp* erp_ = nullptr;
};

TEST_F(ErpLifecycleTest, ApprovedCreditAcceptsTheOrderAndSourcesIt) {
  WithErp();
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  EXPECT_EQ(Status(id), "released");
  EXPECT_THAT(erp_->amounts, ElementsAre(500));  // the channel's prices: 2 x 250
  auto accepted = EventsOf(id, "order.accepted");
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_EQ(json::parse(accepted[0].payload).at("credit").as_string(), "approved");
  EXPECT_EQ(erp_->quotes, 0);  // web carries its own prices
}

TEST_F(ErpLifecycleTest, DeclinedCreditHoldsTheOrderUntilAnOperatorReleasesIt) {
  WithErp();
  SetErp(absl::OkStatus(), /*approve=*/false);
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 2}});
  EXPECT_EQ(Status(id), "credit_hold");
  EXPECT_EQ(At("A", "east").reserved, 0);
  EXPECT_EQ(EventsOf(id, "alert.credit_hold").size(), 1u);
  auto held = EventsOf(id, "order.credit_hold");
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(json::parse(held[0].payload).at("reason").as_string(), "over_limit");
  // A decline is the ERP's considered answer: not asked again by itself.
  EXPECT_THAT(Timers(id), ::testing::Not(::testing::Contains(StrCat("credit:", id))));
  Fire(absl::Hours(1));
  EXPECT_EQ(erp_->amounts.size(), 1u);
  EXPECT_EQ(Status(id), "credit_hold");

  auto release = [&] {
    return Call([&](auto done) {
      lifecycle_->ReleaseHold(id, "approved by credit desk", {.id = "op"}, std::move(done));
    });
  };
  EXPECT_EQ(release().verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "released");
  EXPECT_EQ(At("A", "east").reserved, 2);
  Answer again = release();
  EXPECT_EQ(again.verdict, Verdict::kRefused);
  EXPECT_THAT(again.reason, HasSubstr("not on credit hold"));
}

TEST_F(ErpLifecycleTest, WhenTheErpDoesNotAnswerTheOrderIsHeldAndAskedAboutAgain) {
  WithErp(CreditFallback::kHold);
  SetErp(absl::UnavailableError("the ERP did not answer /credit-checks: timed out"));
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 1}});
  EXPECT_EQ(Status(id), "credit_hold");
  EXPECT_THAT(Timers(id), ::testing::Contains(StrCat("credit:", id)));
  Fire(absl::Seconds(61));  // still down: recorded, held, asked again later
  EXPECT_EQ(Status(id), "credit_hold");
  EXPECT_EQ(EventsOf(id, "order.credit_rechecked").size(), 1u);
  EXPECT_EQ(EventsOf(id, "alert.credit_hold").size(), 1u);  // one alert, not one per try
  SetErp(absl::OkStatus());
  Fire(absl::Seconds(61));
  EXPECT_EQ(Status(id), "released");
  EXPECT_EQ(erp_->amounts.size(), 3u);
  EXPECT_THAT(Timers(id), ::testing::Not(::testing::Contains(StrCat("credit:", id))));
}

TEST_F(ErpLifecycleTest, WhenTheErpDoesNotAnswerSmallOrdersAreAcceptedUnderTheLimit) {
  WithErp(CreditFallback::kAcceptUnderLimit);
  SetErp(absl::UnavailableError("the ERP circuit is open"));
  Stock("A", "east", 100);
  std::string small = Place("web", {{"A", 4}});  // 1,000: at the limit
  std::string large = Place("web", {{"A", 5}});  // 1,250: over it
  EXPECT_EQ(Status(small), "released");
  auto accepted = EventsOf(small, "order.accepted");
  ASSERT_EQ(accepted.size(), 1u);
  json::object p = json::parse(accepted[0].payload).as_object();
  EXPECT_EQ(p.at("credit").as_string(), "not_checked");
  EXPECT_EQ(p.at("fallback").as_string(), "accept_under_limit");
  EXPECT_EQ(Status(large), "credit_hold");
  EXPECT_NE(metrics_.Render().find("disthub_order_credit_fallbacks_total 1"), std::string::npos);
}

TEST_F(ErpLifecycleTest, AnOrderAcceptedWithoutTheErpIsCheckedWithItOnceItIsBack) {
  WithErp(CreditFallback::kAcceptUnderLimit);
  SetErp(absl::UnavailableError("the ERP circuit is open"));
  Stock("A", "east", 100);
  std::string id = Place("web", {{"A", 4}});
  ASSERT_EQ(Status(id), "released");
  EXPECT_THAT(Timers(id), ::testing::Contains(StrCat("credit-late:", id)));
  Fire(absl::Seconds(61));  // still down: asked, no answer, asked again later
  EXPECT_EQ(erp_->amounts.size(), 2u);
  EXPECT_TRUE(EventsOf(id, "order.credit_checked").empty());
  EXPECT_THAT(Timers(id), ::testing::Contains(StrCat("credit-late:", id)));
  SetErp(absl::OkStatus());
  Fire(absl::Seconds(61));
  EXPECT_EQ(erp_->amounts.size(), 3u);
  auto checked = EventsOf(id, "order.credit_checked");
  ASSERT_EQ(checked.size(), 1u);
  json::object p = json::parse(checked[0].payload).as_object();
  EXPECT_TRUE(p.at("approved").as_bool());
  EXPECT_TRUE(p.at("after_acceptance").as_bool());
  EXPECT_EQ(p.at("amount").as_int64(), 1'000);
  EXPECT_THAT(Timers(id), ::testing::Not(::testing::Contains(StrCat("credit-late:", id))));
  Fire(absl::Hours(1));  // told once
  EXPECT_EQ(erp_->amounts.size(), 3u);
  EXPECT_EQ(Status(id), "released");
}

TEST_F(ErpLifecycleTest, AnOrderTheErpDeclinesAfterTheFactGoesOnAndPeopleAreAlerted) {
  WithErp(CreditFallback::kAcceptUnderLimit);
  SetErp(absl::UnavailableError("the ERP circuit is open"));
  Stock("A", "east", 100);
  std::string id = Place("web", {{"A", 4}});
  ASSERT_EQ(Status(id), "released");
  SetErp(absl::OkStatus(), /*approve=*/false);
  Fire(absl::Seconds(61));
  auto alerts = EventsOf(id, "alert.credit_declined_after_acceptance");
  ASSERT_EQ(alerts.size(), 1u);
  json::object p = json::parse(alerts[0].payload).as_object();
  EXPECT_EQ(p.at("reason").as_string(), "over_limit");
  EXPECT_EQ(p.at("status").as_string(), "released");
  EXPECT_EQ(Status(id), "released");  // it goes on: people decide
  EXPECT_EQ(At("A", "east").reserved, 4);
  EXPECT_NE(metrics_.Render().find("disthub_order_credit_declined_after_acceptance_total 1"),
            std::string::npos);
}

TEST_F(ErpLifecycleTest, TheErpPricesTheOrderBeforeItsCreditIsChecked) {
  WithErp();
  Stock("A", "east", 10);
  std::string id = Place("b2b", {{"A", 2}});
  EXPECT_EQ(Status(id), "released");
  auto priced = EventsOf(id, "order.priced");
  ASSERT_EQ(priced.size(), 1u);
  json::object p = json::parse(priced[0].payload).as_object();
  EXPECT_EQ(p.at("grand_total_before").as_int64(), 500);
  EXPECT_EQ(p.at("grand_total").as_int64(), 660);  // 2 x 300 + 60 tax
  EXPECT_THAT(erp_->amounts, ElementsAre(660));    // credit for what the ERP priced
  auto stored = store_->GetOrder(id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  Decoded<Order> o = DecodeOrderText((*stored)->body, DecodeMode::kStored);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value->lines[0].unit_price.minor, 300);
  EXPECT_EQ(o.value->lines[0].tax.minor, 60);
  EXPECT_EQ(o.value->totals.grand_total.minor, 660);
}

TEST_F(ErpLifecycleTest, AnOrderTheErpCannotPriceWaitsInReceivedAndIsPricedLater) {
  WithErp();
  {
    std::lock_guard<std::mutex> lock(erp_->mu);
    erp_->quote_status = absl::UnavailableError("the ERP answered /quotes with 503");
  }
  Stock("A", "east", 10);
  std::string id = Place("b2b", {{"A", 2}});
  EXPECT_EQ(Status(id), "received");
  EXPECT_EQ(EventsOf(id, "order.erp_unavailable").size(), 1u);
  EXPECT_TRUE(erp_->amounts.empty());  // no credit check without a price
  {
    std::lock_guard<std::mutex> lock(erp_->mu);
    erp_->quote_status = absl::OkStatus();
  }
  Fire(absl::Seconds(61));
  EXPECT_EQ(Status(id), "released");
  EXPECT_EQ(EventsOf(id, "order.priced").size(), 1u);
}

TEST_F(ErpLifecycleTest, AnOrderOnHoldCanBeCancelledAndItsTimerGoes) {
  WithErp(CreditFallback::kHold);
  SetErp(absl::UnavailableError("down"));
  Stock("A", "east", 10);
  std::string id = Place("web", {{"A", 1}});
  ASSERT_EQ(Status(id), "credit_hold");
  EXPECT_EQ(CancelOrder(id).verdict, Verdict::kApplied);
  EXPECT_EQ(Status(id), "cancelled");
  EXPECT_THAT(Timers(id), ::testing::Not(::testing::Contains(StrCat("credit:", id))));
  SetErp(absl::OkStatus());
  Fire(absl::Hours(1));
  EXPECT_EQ(Status(id), "cancelled");
}

TEST(ApplyQuoteTest, PricesPerUnitOfMeasureCapsDiscountsAndTotals) {
  Order o;
  o.currency = "USD";
  o.lines = {{.line_no = 1, .sku = "A", .quantity = 2, .uom = "case",
              .unit_price = {1, "USD"}, .discounts = {{.code = "X", .amount = {999'999, "USD"}}}},
             {.line_no = 2, .sku = "B", .quantity = 3}};
  o.totals.shipping = {500, "USD"};
  ASSERT_TRUE(ApplyQuote(o, {24, 3}, {{.line = 1, .unit_price_minor = 10, .tax_minor = 5},
                                      {.line = 2, .unit_price_minor = 7, .tax_minor = 1}})
                  .ok());
  EXPECT_EQ(o.lines[0].unit_price.minor, 120);         // 12 each a case x 10
  EXPECT_EQ(o.lines[0].discounts[0].amount.minor, 240);  // capped at the line's gross
  EXPECT_EQ(o.totals.subtotal.minor, 240 + 21);
  EXPECT_EQ(o.totals.discount.minor, 240);
  EXPECT_EQ(o.totals.tax.minor, 6);
  EXPECT_EQ(o.totals.grand_total.minor, 21 + 6 + 500);
  EXPECT_FALSE(ApplyQuote(o, {24, 3}, {{.line = 1, .unit_price_minor = 10}}).ok());
}

}  // namespace
}  // namespace disthub::orchestration
