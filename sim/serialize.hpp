// The byte streams of a checkpoint (sim/checkpoint.hpp): a Writer appends
// values to a buffer, a Reader takes them back in the same order. Values are
// written in the machine's own byte order and layout (a checkpoint is resumed
// by the same delaysim version, checked by its header, on the same kind of
// machine). Containers carry their length; the Reader checks every length
// against the bytes that remain, so a truncated or corrupt stream ends in a
// CheckpointError, never in a read past the end or a huge allocation.
//
// save(Writer&) const / restore(Reader&) pairs in the engine classes write and
// read their fields in one order; restore checks that sizes match the network
// it restores into (CheckpointError otherwise).
#pragma once
#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace delaysim::sim {

// A checkpoint that cannot be used (truncated, corrupt, another version or
// config); the CLI prints it as a bad-input error (exit 2).
class CheckpointError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Values copied as bytes: no pointers, no owned memory (std::pair qualifies
// although its assignment is not trivial).
template <class T>
inline constexpr bool kPlain =
    std::is_trivially_copy_constructible_v<T>&& std::is_trivially_destructible_v<T>;

class Writer {
public:
    template <class T>
    void put(const T& x) {
        static_assert(kPlain<T>);
        raw(&x, sizeof(T));
    }
    void put_bool(bool b) { put<std::uint8_t>(b ? 1 : 0); }
    void put(const std::string& s) {
        put<std::uint64_t>(s.size());
        raw(s.data(), s.size());
    }
    // A vector of plain values (any allocator).
    template <class T, class A>
    void put(const std::vector<T, A>& v) {
        static_assert(kPlain<T>);
        put<std::uint64_t>(v.size());
        raw(v.data(), v.size() * sizeof(T));
    }
    template <class T>
    void put(const std::deque<T>& v) {
        put<std::uint64_t>(v.size());
        for (const T& x : v) put(x);
    }
    template <class T, class A>
    void put_nested(const std::vector<T, A>& v) {  // a vector of containers
        put<std::uint64_t>(v.size());
        for (const auto& x : v) put(x);
    }
    void raw(const void* p, std::size_t n) {
        const auto* b = static_cast<const char*>(p);
        bytes_.append(b, n);
    }
    const std::string& bytes() const { return bytes_; }
    std::string& bytes() { return bytes_; }

private:
    std::string bytes_;
};

class Reader {
public:
    Reader(const char* data, std::size_t size) : p_(data), n_(size) {}

    std::size_t remaining() const { return n_ - pos_; }
    bool done() const { return pos_ == n_; }
    template <class T>
    T get() {
        static_assert(kPlain<T>);
        T x;
        raw(&x, sizeof(T));
        return x;
    }
    template <class T>
    void get(T& x) {
        x = get<T>();
    }
    bool get_bool() {
        const auto b = get<std::uint8_t>();
        if (b > 1) fail("a flag that is neither 0 nor 1");
        return b != 0;
    }
    void get(std::string& s) {
        const std::size_t n = length(1);
        s.assign(p_ + pos_, n);
        pos_ += n;
    }
    std::string get_string() {
        std::string s;
        get(s);
        return s;
    }
    template <class T, class A>
    void get(std::vector<T, A>& v) {
        static_assert(kPlain<T>);
        const std::size_t n = length(sizeof(T));
        v.resize(n);
        raw(v.data(), n * sizeof(T));
    }
    // The same with the length the restoring object expects (a network size).
    template <class T, class A>
    void get(std::vector<T, A>& v, std::size_t expected, const char* what) {
        get(v);
        if (v.size() != expected) mismatch(what, v.size(), expected);
    }
    template <class T>
    void get(std::deque<T>& v) {
        const std::size_t n = length(sizeof(T));
        v.clear();
        for (std::size_t i = 0; i < n; ++i) v.push_back(get<T>());
    }
    template <class T, class A>
    void get_nested(std::vector<T, A>& v) {
        const std::size_t n = length(sizeof(std::uint64_t));  // every element holds a length at least
        v.resize(n);
        for (auto& x : v) get(x);
    }
    template <class T, class A>
    void get_nested(std::vector<T, A>& v, std::size_t expected, const char* what) {
        get_nested(v);
        if (v.size() != expected) mismatch(what, v.size(), expected);
    }
    // A length prefix whose elements of `unit` bytes must fit in what remains.
    std::size_t length(std::size_t unit) {
        const auto n = get<std::uint64_t>();
        if (unit > 0 && n > remaining() / unit) fail("a length past the end of the data");
        return static_cast<std::size_t>(n);
    }
    void raw(void* out, std::size_t n) {
        if (n > remaining()) fail("the data ends early");
        if (n > 0) std::memcpy(out, p_ + pos_, n);
        pos_ += n;
    }
    // What a restore checks: a count read must be the network's.
    void expect(std::uint64_t got, std::uint64_t expected, const char* what) {
        if (got != expected) mismatch(what, got, expected);
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw CheckpointError("checkpoint is truncated or corrupt: " + why + " (at byte " +
                              std::to_string(pos_) + " of " + std::to_string(n_) + ")");
    }

private:
    [[noreturn]] void mismatch(const char* what, std::uint64_t got, std::uint64_t expected) const {
        throw CheckpointError(std::string("checkpoint does not fit the network: ") + what + " has " +
                              std::to_string(got) + " entries, the network " + std::to_string(expected));
    }
    const char* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
};

}  // namespace delaysim::sim
