// Seeded random numbers with distributions written out here, because the
// standard library's distributions may differ between implementations: the
// same config and seed must give the same network everywhere.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>

namespace delaysim::sim {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}
    // Mix a base seed with a stream id so that streams are independent.
    static std::uint64_t derive(std::uint64_t seed, std::uint64_t stream) {
        std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    double exponential(double rate) { return -std::log1p(-uniform()) / rate; }
    double normal(double mean, double sd) {
        const double u1 = 1.0 - uniform(), u2 = uniform();
        return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace delaysim::sim
