// Stable LSD radix sort of (key, index) pairs by key, for times: the key is the
// bit pattern of a time t >= 0 (monotone in t), so only the bits that vary within
// the batch are sorted (11 a pass; a few passes for events within a fraction of
// a ms). Stable: equal keys keep their input order, which callers use as the
// tie-break (push or sequence order). Used where one comparison sort per batch
// of events showed in profiles (EventQueue buckets, batched-slice change logs).
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace delaysim::sim {

using KeyIndex = std::pair<std::uint64_t, std::uint32_t>;

inline std::uint64_t time_key(double t) {
    return std::bit_cast<std::uint64_t>(t + 0.0);
}  // -0 -> +0

inline void radix_sort(std::vector<KeyIndex>& v, std::vector<KeyIndex>& scratch) {
    const std::size_t n = v.size();
    if (n < 256) {                      // small batches: a comparison sort is cheaper
        std::sort(v.begin(), v.end());  // (key, index): index order on ties, i.e. stable
        return;
    }
    std::uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto& e : v) {
        lo = std::min(lo, e.first);
        hi = std::max(hi, e.first);
    }
    constexpr int kBits = 11;
    constexpr std::size_t kRadix = std::size_t{1} << kBits;
    const int passes = (static_cast<int>(std::bit_width(hi - lo)) + kBits - 1) / kBits;
    scratch.resize(n);
    std::vector<std::uint32_t> count(kRadix);
    for (int pass = 0; pass < passes; ++pass) {
        const int shift = pass * kBits;
        std::fill(count.begin(), count.end(), 0u);
        for (const auto& e : v) ++count[((e.first - lo) >> shift) & (kRadix - 1)];
        std::uint32_t sum = 0;
        for (auto& c : count) sum += std::exchange(c, sum);
        for (const auto& e : v) scratch[count[((e.first - lo) >> shift) & (kRadix - 1)]++] = e;
        std::swap(v, scratch);
    }
}

}  // namespace delaysim::sim
