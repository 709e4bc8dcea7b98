// Thin layer over the HDF5 C++ API for the recorder: groups and attributes
// written the same way everywhere, and AppendDataset, a chunked dataset with an
// unlimited first dimension that buffers rows in memory and appends them in
// blocks (memory stays bounded however long the run is).
//
// Conventions (read by tools/delaysim_h5.py and h5py):
//   strings  variable-length UTF-8 (h5py: str for attributes, bytes in datasets)
//   bool     enum {FALSE=0, TRUE=1} over int8 — h5py's own bool type, read as
//            numpy.bool_
//   objects  created without modification times, so one config and seed give
//            the same bytes on every run.
#pragma once
#include <H5Cpp.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace delaysim::sim::h5 {

H5::Group create_group(const H5::Group& parent, const std::string& name);
H5::Group open_or_create_group(const H5::Group& parent, const std::string& name);

void write_attr(const H5::H5Object& obj, const std::string& name, const std::string& value);
void write_attr(const H5::H5Object& obj, const std::string& name, double value);
void write_attr(const H5::H5Object& obj, const std::string& name, std::uint64_t value);
// Creates the attribute or overwrites it (the file's `completed` flag).
void write_bool_attr(const H5::H5Object& obj, const std::string& name, bool value);

// What the HDF5 error stack of the last failed call says, for messages: the
// OS error (errno) of the file driver if there is one, else HDF5's innermost
// description. Call it first thing after catching an H5::Exception (the next
// HDF5 call clears the stack). `errno_out` gets the errno found, or 0.
std::string last_error(int* errno_out = nullptr);

// No room for the next write: the disk is (nearly) full or the file size limit
// (RLIMIT_FSIZE, `ulimit -f`) is (nearly) reached. `os_errno` is ENOSPC or EFBIG.
class NoSpace : public std::runtime_error {
public:
    NoSpace(const std::string& what, int err) : std::runtime_error(what), os_errno(err) {}
    int os_errno;
};

// Checked before every block an AppendDataset writes: throws NoSpace while the
// disk and the file size limit still have room for the metadata that closing
// the file writes, so that the file can then be closed cleanly and stays
// readable. (Without it, HDF5 writes the superblock of a file that cannot
// reach its recorded end: h5py then refuses it as "truncated".)
class SpaceGuard {
public:
    explicit SpaceGuard(std::string path) : path_(std::move(path)) {}
    // One more dataset whose chunk cache (1 MiB) and buffer may hold unwritten data.
    void add_dataset() { ++datasets_; }
    void reserve(std::uint64_t bytes) const;

private:
    std::string path_;
    std::uint64_t datasets_ = 0;
};

// One of double, std::uint64_t, std::string.
template <class T>
class AppendDataset {
public:
    // A 1-D dataset [n]. rows_hint > 0 sizes the chunks of a dataset whose
    // length is known (fixed id lists).
    AppendDataset(const H5::Group& parent, const std::string& name, hsize_t rows_hint = 0)
        : AppendDataset(parent, name, 1, 0, rows_hint) {}
    // A 2-D dataset [n, columns] (columns may be 0).
    static AppendDataset matrix(const H5::Group& parent, const std::string& name, hsize_t columns) {
        return AppendDataset(parent, name, 2, columns, 0);
    }
    AppendDataset(const AppendDataset&) = delete;
    AppendDataset& operator=(const AppendDataset&) = delete;
    AppendDataset(AppendDataset&&) = default;
    AppendDataset& operator=(AppendDataset&&) = default;

    void append(const T& x) {  // 1-D
        buffer_.push_back(x);
        if (++buffered_rows_ >= block_rows_) flush();
    }
    void append_row(const T* row) {  // 2-D: `columns` values
        buffer_.insert(buffer_.end(), row, row + columns_);
        if (++buffered_rows_ >= block_rows_) flush();
    }
    void append_empty_row() {  // 2-D with 0 columns: only the row count grows
        if (++buffered_rows_ >= block_rows_) flush();
    }
    void flush();  // write the buffered rows; no-op when none
    hsize_t rows() const { return written_ + buffered_rows_; }
    hsize_t written() const { return written_; }  // rows already in the file
    // Drop the buffer and cut the dataset to `n` <= written() rows, so that
    // datasets read together (time and data) end at the same row.
    void truncate(hsize_t n);
    H5::DataSet& dataset() { return ds_; }
    // Every value so far (those in the file, then the buffered ones), row-major:
    // what a checkpoint carries of the output (sim/recorder.hpp).
    std::vector<T> contents();
    hsize_t columns() const { return columns_; }
    // Every later flush first asks `guard` for room (nullptr: no check).
    void set_guard(SpaceGuard* guard) {
        guard_ = guard;
        if (guard_) guard_->add_dataset();
    }
    void set_attr(const std::string& name, const std::string& value) { write_attr(ds_, name, value); }

private:
    AppendDataset(const H5::Group& parent, const std::string& name, int rank, hsize_t columns,
                  hsize_t rows_hint);
    H5::DataSet ds_;
    int rank_;
    hsize_t columns_;
    hsize_t written_ = 0;  // rows already in the file
    hsize_t buffered_rows_ = 0;
    hsize_t block_rows_;  // flush threshold: whole chunks, about 512 KiB of values
    std::vector<T> buffer_;
    SpaceGuard* guard_ = nullptr;
};

extern template class AppendDataset<double>;
extern template class AppendDataset<std::uint64_t>;
extern template class AppendDataset<std::string>;

}  // namespace delaysim::sim::h5
