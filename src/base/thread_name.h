#ifndef DISTHUB_BASE_THREAD_NAME_H_
#define DISTHUB_BASE_THREAD_NAME_H_

#include <string_view>

namespace disthub {

// Names the calling thread as `top -H`, perf and gdb show it ("dh-writer",
// "dh-http-0", ...). Linux keeps 15 characters; longer names are cut.
void NameThisThread(std::string_view name);

}  // namespace disthub

#endif  // DISTHUB_BASE_THREAD_NAME_H_
