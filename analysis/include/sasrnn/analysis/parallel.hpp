// Independent trials (or images) on several threads, claimed in turn, with a progress callback:
// the one worker pool of the evaluation library. Results must not depend on the thread count, so
// a trial's outcome may depend only on its index.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sasrnn::analysis {

/// For each worker w in [0, threads), make(w) returns the function that runs one trial k (its own
/// state, e.g. a network, lives in it); every k in [0, total) runs exactly once. `progress`, if
/// set, is called from the calling thread about once a second with (done, total), and at the end.
inline void for_each_trial(int total, int threads,
                           const std::function<std::function<void(int)>(int)>& make,
                           const std::function<void(int, int)>& progress = {}) {
  std::atomic<int> next{0}, done{0};
  auto last = std::chrono::steady_clock::now();
  // The first exception of any worker stops the others (no trial is claimed after it) and is
  // rethrown on the calling thread once all have joined: it never escapes a std::thread.
  std::exception_ptr failure;
  std::mutex failure_lock;
  auto body = [&](int w) {
    const std::function<void(int)> run = make(w);
    for (int k = next++; k < total; k = next++) {
      run(k);
      ++done;
      if (w == 0 && progress) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last).count() > 1.0) {
          progress(done.load(), total);
          last = now;
        }
      }
    }
  };
  auto worker = [&](int w) {
    try {
      body(w);
    } catch (...) {
      next = total;
      const std::lock_guard<std::mutex> hold(failure_lock);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < std::max(1, threads); ++w) pool.emplace_back(worker, w);
  worker(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(total, total);
}

}  // namespace sasrnn::analysis
