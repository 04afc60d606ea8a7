// The EDI trading partner's file drop (connector type `x12-file-drop`, issue 7): one
// instance per partner, reading the X12 interchanges it drops into `folder` and writing
// what goes back to it (acknowledgements, and 855/856/810 as its orders move) into
// `outbound_folder`.
//
//   connectors:
//     - name: edi-retail                # the partner: archive source, metrics, state
//       type: x12-file-drop
//       folder: /srv/edi/retail/in
//       outbound_folder: /srv/edi/retail/out
//       partner_id: RETAILER            # ISA06 of what it sends, ISA08 of what we send
//       our_id: DISTHUB
//       channel: edi-retail             # the sales channel its purchase orders belong to
//
// What happens to a file, in order:
//   1. Once ready (drop_folder.h: settled, matching `pattern`) it is claimed: moved into
//      FOLDER/.claimed, where a crash leaves it to be finished after restart.
//   2. It is read with its envelopes and segments checked (formats/x12_envelope.h). Bytes
//      that are not X12 at all are rejected with the reason (there is nothing to answer).
//   3. Each interchange is checked against the partner's settings: sender and receiver
//      ids and qualifiers (TA1 codes 005-008), and its control number against those the
//      partner sent before (code 025, a duplicate: refused whole, nothing taken). The
//      control numbers seen are kept durably (the connector's state in the store), the
//      last `remember_interchanges` of them.
//   4. Sets of a type not in `sets` are rejected (AK5 code 1, not supported). Each
//      accepted 850 becomes an order (mapping/x12_orders.h, with the partner's channel,
//      account and currency): taken in with the idempotency key
//      SENDER:ISA13:GS06:ST02, so a file taken again after a crash doubles nothing. A
//      purchase order the mapping or the hub's checks refuse is archived as refused with
//      the reason (GET /v1/inbound, dead letters), never dropped.
//   5. Once every order is durable, the acknowledgements are written atomically into
//      `outbound_folder` as one interchange (ack-PARTNER-CONTROL.x12): a 997 (999 for
//      005010) per group when `acknowledge`, and a TA1 when the interchange asked for one
//      or is refused. Our control numbers come from the connector's durable state, saved
//      before the file is written, so none is ever used twice.
//   6. The file moves to `processed_folder`; or to `rejected_folder` with NAME.errors.txt
//      and the acknowledgement beside it (NAME.ack.x12) when nothing in it was accepted.
// If the hub cannot take an order (store unavailable), the file stays claimed and is
// finished at the next poll.
//
// What goes to a retailer as its orders move (`send`), read from the hub's event log
// after the last event handled (kept with the connector's state; a new connector starts
// at the log's end), each document its own interchange (SET-PARTNER-CONTROL.x12) with
// the partner's version and delimiters:
//   855  when an order of its channel is allocated (every line accepted, IA) or
//        backordered (IB); BAK01 04, a change, when a backordered order is allocated;
//   856  for each shipment of a shipped or partially shipped status, once per shipment;
//   810  for each invoice.posted of its channel (the lifecycle invoices after shipping,
//        so the invoice follows the ship notices).
// A 3PL (`location` set): each release to that location goes out as a 940 in eaches
// (with `send: 940`); its 997s are matched to the groups we sent, and accepting a 940
// acknowledges the release to the lifecycle; its 945s record shipments (short lines leave
// the rest open: the 3PL's backorder); its 846s are full stock counts, reconciled.
//
// Document numbers are the hub's: BAK08 the order id, BSN02 the shipment id, BIG02 the
// invoice id, shortened to what the element takes (30 and 22 characters) by keeping their
// last characters. The channel's status_updates must include the states these follow. At least once: a
// crash between writing a document and saving the position writes it again (same
// BAK03/BSN02/BIG02, a new control number). A document the hub's data cannot make (a
// unit with no X12 code) is counted and reported as the last error, and the next events
// go on.
//
// Thread-safety: one worker thread per instance; Describe() from any thread.
#pragma once

#include "connectors/connector.h"

namespace disthub::connectors {

const ConnectorType& X12FileDropType();

}  // namespace disthub::connectors
