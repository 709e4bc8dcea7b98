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
    void flush();  // write the buffered rows; no-op when none
    hsize_t rows() const { return written_ + buffered_rows_; }
    H5::DataSet& dataset() { return ds_; }
    void set_attr(const std::string& name, const std::string& value) { write_attr(ds_, name, value); }

private:
    AppendDataset(const H5::Group& parent, const std::string& name, int rank, hsize_t columns, hsize_t rows_hint);
    H5::DataSet ds_;
    int rank_;
    hsize_t columns_;
    hsize_t written_ = 0;  // rows already in the file
    hsize_t buffered_rows_ = 0;
    hsize_t block_rows_;  // flush threshold: whole chunks, about 512 KiB of values
    std::vector<T> buffer_;
};

extern template class AppendDataset<double>;
extern template class AppendDataset<std::uint64_t>;
extern template class AppendDataset<std::string>;

}  // namespace delaysim::sim::h5
