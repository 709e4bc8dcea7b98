#include "sim/h5_writer.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace delaysim::sim::h5 {
namespace {

constexpr hsize_t kChunkValues = 4096;   // 32 KiB of doubles per chunk
constexpr hsize_t kBlockValues = 16384;  // flush threshold: 128 KiB of doubles

H5::StrType string_type() {
    H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
    t.setCset(H5T_CSET_UTF8);
    return t;
}

H5::EnumType bool_type() {
    H5::EnumType t(H5::PredType::NATIVE_INT8);
    std::int8_t v = 0;
    t.insert("FALSE", &v);
    v = 1;
    t.insert("TRUE", &v);
    return t;
}

template <class T>
H5::DataType file_type() {
    if constexpr (std::is_same_v<T, double>)
        return H5::PredType::IEEE_F64LE;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return H5::PredType::STD_U64LE;
    else
        return string_type();
}

template <class T>
H5::DataType mem_type() {
    if constexpr (std::is_same_v<T, double>)
        return H5::PredType::NATIVE_DOUBLE;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        return H5::PredType::NATIVE_UINT64;
    else
        return string_type();
}

// Object creation without modification times (bit-identical files).
template <class Plist>
void untimed(const Plist& p) {
    H5Pset_obj_track_times(p.getId(), false);
}

void put_attr(const H5::H5Object& obj, const std::string& name, const H5::DataType& file,
              const H5::DataType& mem, const void* value) {
    if (obj.attrExists(name)) obj.removeAttr(name);
    H5::Attribute a = obj.createAttribute(name, file, H5::DataSpace(H5S_SCALAR));
    a.write(mem, value);
}

}  // namespace

H5::Group create_group(const H5::Group& parent, const std::string& name) {
    H5::PropList gcpl(H5Pcreate(H5P_GROUP_CREATE));
    untimed(gcpl);
    const hid_t id = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, gcpl.getId(), H5P_DEFAULT);
    if (id < 0) throw H5::GroupIException("create_group", "cannot create group '" + name + "'");
    H5::Group g(id);  // takes its own reference
    H5Gclose(id);
    return g;
}

H5::Group open_or_create_group(const H5::Group& parent, const std::string& name) {
    return parent.nameExists(name) ? parent.openGroup(name) : create_group(parent, name);
}

void write_attr(const H5::H5Object& obj, const std::string& name, const std::string& value) {
    const char* p = value.c_str();
    put_attr(obj, name, string_type(), string_type(), &p);
}

void write_attr(const H5::H5Object& obj, const std::string& name, double value) {
    put_attr(obj, name, H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE, &value);
}

void write_attr(const H5::H5Object& obj, const std::string& name, std::uint64_t value) {
    put_attr(obj, name, H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, &value);
}

void write_bool_attr(const H5::H5Object& obj, const std::string& name, bool value) {
    const std::int8_t v = value ? 1 : 0;
    put_attr(obj, name, bool_type(), bool_type(), &v);
}

namespace {

struct ErrorWalk {
    int os_errno = 0;
    std::string innermost;
    bool locked = false;
};

// The file drivers write "..., errno = 28, error message = '...'" into the
// description of their entry.
herr_t walk_entry(unsigned n, const H5E_error2_t* e, void* data) {
    auto& w = *static_cast<ErrorWalk*>(data);
    const std::string desc = e->desc ? e->desc : "";
    if (n == 0) w.innermost = desc;
    if (desc.find("lock") != std::string::npos) w.locked = true;
    const auto at = desc.find("errno = ");
    if (at != std::string::npos && w.os_errno == 0) w.os_errno = std::atoi(desc.c_str() + at + 8);
    return 0;
}

}  // namespace

std::string last_error(int* errno_out) {
    ErrorWalk w;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_entry, &w);  // entry 0: the innermost
    if (errno_out) *errno_out = w.os_errno;
    if (w.locked)
        return "another process has the file open (HDF5 file lock" +
               (w.os_errno ? ": " + std::string(std::strerror(w.os_errno)) : std::string()) + ")";
    if (w.os_errno) return std::strerror(w.os_errno);
    return w.innermost.empty() ? "HDF5 error" : w.innermost;
}

template <class T>
AppendDataset<T>::AppendDataset(const H5::Group& parent, const std::string& name, int rank, hsize_t columns,
                                hsize_t rows_hint)
    : rank_(rank), columns_(rank == 2 ? columns : 1) {
    const hsize_t col_chunk = std::clamp<hsize_t>(columns_, 1, 512);
    hsize_t row_chunk = std::max<hsize_t>(1, kChunkValues / col_chunk);
    if (rows_hint > 0) row_chunk = std::min(row_chunk, rows_hint);
    block_rows_ = std::max<hsize_t>(1, kBlockValues / std::max<hsize_t>(columns_, 1) / row_chunk) * row_chunk;

    const hsize_t dims[2] = {0, columns_};
    // A zero-width matrix gets an unlimited second dimension: HDF5 wants every
    // chunk dimension <= its fixed maximum.
    const hsize_t maxdims[2] = {H5S_UNLIMITED, columns_ ? columns_ : H5S_UNLIMITED};
    const hsize_t chunk[2] = {row_chunk, col_chunk};
    H5::DSetCreatPropList dcpl;
    dcpl.setChunk(rank_, chunk);
    untimed(dcpl);
    ds_ = parent.createDataSet(name, file_type<T>(), H5::DataSpace(rank_, dims, maxdims), dcpl);
}

void SpaceGuard::reserve(std::uint64_t bytes) const {
    // Fault injection for tests of the path where a write fails anyway.
    static const bool off = std::getenv("DELAYSIM_TEST_NO_SPACE_GUARD") != nullptr;
    if (off) return;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return;  // cannot tell: the write itself reports
    const double size = static_cast<double>(st.st_size);
    // What closing may still write: dirty metadata (a few MB, growing with the
    // chunk indices: 2 % of the file) and, per dataset, its chunk cache and buffer.
    const double need =
        static_cast<double>(bytes) + 4e6 + 0.02 * size + 1.25 * 1048576.0 * static_cast<double>(datasets_);
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        size + need > static_cast<double>(rl.rlim_cur))
        throw NoSpace("the file size limit (ulimit -f: " + std::to_string(rl.rlim_cur) + " bytes) is reached",
                      EFBIG);
    struct statvfs vs {};
    const std::string dir =
        path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/') + 1);
    if (::statvfs(dir.c_str(), &vs) == 0) {
        const double free = static_cast<double>(vs.f_bavail) * static_cast<double>(vs.f_frsize);
        if (need > free)
            throw NoSpace(
                "the disk is full (" + std::to_string(static_cast<long long>(free / 1e6)) + " MB free)",
                ENOSPC);
    }
}

template <class T>
void AppendDataset<T>::flush() {
    if (buffered_rows_ == 0) return;
    if (guard_) guard_->reserve(buffer_.size() * (std::is_same_v<T, std::string> ? 16 : sizeof(T)));
    const hsize_t start[2] = {written_, 0};
    const hsize_t count[2] = {buffered_rows_, columns_};
    const hsize_t extent[2] = {written_ + buffered_rows_, columns_};
    ds_.extend(extent);
    if (!buffer_.empty()) {
        H5::DataSpace file_space = ds_.getSpace();
        file_space.selectHyperslab(H5S_SELECT_SET, count, start);
        H5::DataSpace mem_space(rank_, count);
        if constexpr (std::is_same_v<T, std::string>) {
            std::vector<const char*> ptrs(buffer_.size());
            for (std::size_t i = 0; i < buffer_.size(); ++i) ptrs[i] = buffer_[i].c_str();
            ds_.write(ptrs.data(), mem_type<T>(), mem_space, file_space);
        } else {
            ds_.write(buffer_.data(), mem_type<T>(), mem_space, file_space);
        }
    }
    written_ += buffered_rows_;
    buffered_rows_ = 0;
    buffer_.clear();
}

template <class T>
void AppendDataset<T>::truncate(hsize_t n) {
    buffer_.clear();
    buffered_rows_ = 0;
    if (n >= written_) return;
    const hsize_t extent[2] = {n, columns_};
    ds_.extend(extent);  // H5Dset_extent: shrinks too
    written_ = n;
}

template <class T>
std::vector<T> AppendDataset<T>::contents() {
    std::vector<T> out;
    const hsize_t n = written_ * columns_;
    if (n > 0) {
        if constexpr (std::is_same_v<T, std::string>) {
            std::vector<char*> ptrs(n, nullptr);
            const H5::DataType type = mem_type<T>();
            ds_.read(ptrs.data(), type);
            out.reserve(n + buffer_.size());
            for (char* p : ptrs) out.emplace_back(p ? p : "");
            H5::DataSpace space = ds_.getSpace();
            H5Dvlen_reclaim(type.getId(), space.getId(), H5P_DEFAULT, ptrs.data());
        } else {
            out.resize(n);
            ds_.read(out.data(), mem_type<T>());
        }
    }
    out.insert(out.end(), buffer_.begin(), buffer_.end());
    return out;
}

template class AppendDataset<double>;
template class AppendDataset<std::uint64_t>;
template class AppendDataset<std::string>;

}  // namespace delaysim::sim::h5
