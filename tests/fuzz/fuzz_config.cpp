// libFuzzer harness: the whole input is a model file, loaded through lowering
// (tests/fuzz/README.md). Nothing is run.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    delaysim::fuzz::load(std::string(reinterpret_cast<const char*>(data), size), {});
    return 0;
}
