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

// The same order for a batch that is often nearly sorted and whose keys spread
// over a range much wider than the batch (a slice's change log: each node's
// changes are in time order, many share a post spike's time): one stable
// counting pass into ~n buckets of the top varying bits, then one insertion pass
// (no pair crosses a bucket). A batch that is already sorted costs one pass; one
// whose keys cluster into few buckets falls back to std::sort.
inline void bucket_sort(std::vector<KeyIndex>& v, std::vector<KeyIndex>& scratch,
                        std::vector<std::uint32_t>& count) {
    const std::size_t n = v.size();
    if (n < 2) return;
    std::uint64_t lo = v[0].first, hi = v[0].first;
    bool sorted = true;
    for (std::size_t i = 1; i < n; ++i) {
        lo = std::min(lo, v[i].first);
        hi = std::max(hi, v[i].first);
        sorted = sorted && !(v[i].first < v[i - 1].first);  // (indices ascend: pairs too)
    }
    if (sorted) return;
    const int bits = static_cast<int>(std::bit_width(hi - lo));
    const int shift = std::max(0, bits - static_cast<int>(std::bit_width(n)));
    const std::size_t nb = static_cast<std::size_t>((hi - lo) >> shift) + 1;  // <= 2n
    count.assign(nb + 1, 0u);
    for (const auto& e : v) ++count[((e.first - lo) >> shift) + 1];
    for (std::size_t b = 1; b <= nb; ++b) count[b] += count[b - 1];
    scratch.resize(n);
    for (const auto& e : v) scratch[count[(e.first - lo) >> shift]++] = e;
    std::swap(v, scratch);
    std::size_t moves = 0;
    for (std::size_t a = 1; a < n; ++a) {
        if (!(v[a].first < v[a - 1].first)) continue;
        const KeyIndex x = v[a];
        std::size_t b = a;
        for (; b > 0 && v[b - 1].first > x.first; --b) v[b] = v[b - 1];
        v[b] = x;
        moves += a - b;
        if (moves > 8 * n) {  // clustered keys: the rest by comparisons
            std::sort(v.begin(), v.end());
            return;
        }
    }
}

}  // namespace delaysim::sim
