// `disthub edi …`: X12 for EDI analysts, from the command line (issue 7).
//
//   disthub edi check FILE…      each interchange's envelopes and sets, and every error as
//                                the 997/999 (AK3/AK4/AK5/AK9) or TA1 would report it
//   disthub edi to-json FILE     the canonical documents the file's sets become
#pragma once

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace disthub {

// Adds the `edi` command to `app`, which must outlive the returned function. After parsing,
// call the returned function: it returns the exit status when `edi` was given, -1 otherwise.
std::function<int()> AddEdiCommands(CLI::App& app);

}  // namespace disthub
