// Files of examples/ compiled into the binary, so `disthub demo` runs from anywhere.
#pragma once

#include <string_view>

namespace disthub::embedded {

std::string_view HarborConfig();    // examples/harbor.yaml
std::string_view HarborProducts();  // examples/harbor-products.csv

}  // namespace disthub::embedded
