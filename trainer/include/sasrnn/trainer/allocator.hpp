// The C library's allocator set up for training: the trainer's forward and backward passes create
// matrices of megabytes (N x steps x batch floats) for every mini-batch and free them again. With
// glibc's defaults such blocks are mapped from and returned to the kernel on every batch, and the
// page faults of zeroing fresh pages took about 70 % of a row-MNIST epoch on this project's VM
// (docs/training.md, "Speed"). keep_training_memory() raises the mmap threshold to glibc's maximum
// (32 MiB) and the trim threshold to 1 GiB, so freed blocks are reused for the next batch. It changes
// where memory comes from, not any value computed: results are bit for bit the same.
#pragma once

namespace sasrnn::train {

/// Called by `sasrnn train` (run_train_job) and the Python package's train() before training.
/// Process-wide (mallopt); a no-op with a C library other than glibc, and under AddressSanitizer
/// (its own allocator). Returns whether it applied.
bool keep_training_memory();

}  // namespace sasrnn::train
