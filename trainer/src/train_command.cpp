#include "sasrnn/trainer/train_command.hpp"

#include "sasrnn/trainer/allocator.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <sstream>
#include <type_traits>

namespace sasrnn::train {

namespace {

std::string with_extension(const std::string& path, const std::string& ext) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? path.substr(0, dot) : path) + ext;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

/// The signal that asked the run to stop (0: none). Set by the handler, read between epochs.
volatile std::sig_atomic_t g_signal = 0;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables): a signal handler can only reach a global

extern "C" void on_stop_signal(int sig) { g_signal = sig; }

/// SIGINT and SIGTERM handlers for the time of a run, restored afterwards. The first signal asks
/// for a clean stop; the handler is then reset (SA_RESETHAND), so a second one kills at once
/// (every file is written atomically, so even that leaves a whole checkpoint).
class StopSignals {
 public:
  StopSignals() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  StopSignals(StopSignals&&) = delete;
  StopSignals& operator=(StopSignals&&) = delete;
  static int received() { return static_cast<int>(g_signal); }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

/// The CSV log of every epoch in the trainer's history, written atomically: the log always holds
/// exactly the epochs of the checkpoint written with it.
template <class T>
void write_log(const T& trainer, const std::string& path) {
  const std::string text = trainer.log_csv();
  conv::write_file(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace

std::string log_path(const JobOptions& job) {
  return job.log.empty() ? with_extension(job.out, ".csv") : job.log;
}

std::string checkpoint_path(const JobOptions& job) {
  return job.checkpoint.empty() ? with_extension(job.out, ".ckpt") : job.checkpoint;
}

int check_job_outputs(const JobOptions& job, std::ostream& err) {
  const std::string log = log_path(job), ckpt = checkpoint_path(job);
  const std::pair<const char*, const std::string*> named[] = {
      {"--out", &job.out}, {"--log", &log}, {"--checkpoint", &ckpt}};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = i + 1; j < 3; ++j)
      if (conv::same_file(*named[i].second, *named[j].second)) {
        err << "sasrnn train: " << named[i].first << " and " << named[j].first
            << " name the same file " << *named[i].second << "; give each output its own file\n";
        return 2;
      }
  try {
    if (job.resume && job.force) {
      err << "sasrnn train: --resume continues a run and --force starts one afresh; give one\n";
      return 2;
    }
    if (job.resume && !file_exists(ckpt)) {
      err << "sasrnn train: --resume: no checkpoint at " << ckpt << "\n";
      return 1;
    }
    if (!job.resume && !job.force && file_exists(ckpt)) {
      err << "sasrnn train: " << ckpt
          << " exists: pass --resume to continue that run, or --force to start afresh and replace "
             "it\n";
      return 1;
    }
    // --resume replaces the run's own files; --force any; otherwise none is replaced
    const bool replace = job.resume || job.force;
    conv::check_output(job.out, replace);
    conv::check_output(log, replace);
    conv::check_output(ckpt, true);
  } catch (const std::exception& e) {
    err << "sasrnn train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

namespace {

/// The job for either trainer: T is Trainer or ff::Trainer (the same members).
template <class T, class Config>
int run_job(const JobOptions& job, const Config& cfg, std::ostream& out, std::ostream& err) {
  if (const int bad = check_job_outputs(job, err)) return bad;
  keep_training_memory();  // freed batch matrices reused, not returned to the kernel (allocator.hpp)
  const std::string log_file = log_path(job);
  const std::string ckpt_path = checkpoint_path(job);
  std::unique_ptr<T> trainer_ptr;
  try {
    trainer_ptr = std::make_unique<T>(cfg);
    if (job.resume) {
      trainer_ptr->load_checkpoint(ckpt_path);
      out << "resumed from " << ckpt_path << " at epoch " << trainer_ptr->epoch() << "\n";
    }
  } catch (const std::exception& e) {
    err << "sasrnn train: " << e.what() << "\n";
    return 1;
  }
  T& trainer = *trainer_ptr;
  // a signal during the training stops it cleanly; after it (the final evaluation) it kills
  auto signals = std::make_unique<StopSignals>();
  // The checkpoint and the log of the trainer's current state (the last whole epoch).
  const auto save = [&] {
    trainer.save_checkpoint(ckpt_path);
    write_log(trainer, log_file);
  };
  try {
    const bool tty = isatty(fileno(stderr)) != 0;
    const int epochs = trainer.config().epochs;
    const int every = job.progress_every > 0 ? job.progress_every : std::max(1, epochs / 40);
    const int start = trainer.epoch();
    const auto t0 = std::chrono::steady_clock::now();
    auto last_print = t0;
    out << trainer.describe();
    out.flush();
    // Progress inside long epochs (MNIST): on a terminal twice a second, else once a minute.
    auto epoch_start = std::chrono::steady_clock::now();
    auto last_update_print = epoch_start;
    trainer.on_update = [&](int done, int total) {
      const auto now = std::chrono::steady_clock::now();
      const double since = std::chrono::duration<double>(now - last_update_print).count();
      if (done == total || since < (tty ? 0.5 : 60.0)) return;
      const double in_epoch = std::chrono::duration<double>(now - epoch_start).count();
      char line[160];
      (void)std::snprintf(line, sizeof line, "epoch %6d/%d  batch %d/%d  %.1f s/batch  epoch ETA %s",
                    trainer.epoch() + 1, epochs, done, total, in_epoch / done,
                    format_duration(in_epoch / done * (total - done)).c_str());
      err << (tty ? "\r" : "") << line << (tty ? "" : "\n");
      err.flush();
      last_update_print = now;
    };
    // Model selection: the best validated parameters (kept in the checkpoint).
    const bool validating = job.validate_every > 0 && job.validate;
    trainer.interrupted = [] { return StopSignals::received() != 0; };
    // The current parameters' validation score, computed at most once per epoch: the model
    // selection and the stopping rule's confirmation may both ask for it after the same epoch.
    int scored_epoch = -1;
    double scored = 0;
    const auto validation_score = [&] {
      if (scored_epoch != trainer.epoch()) {
        scored = job.validate(trainer.to_model(job.command));
        scored_epoch = trainer.epoch();
      }
      return scored;
    };
    // The stopping rule confirmed on held-out data (--stop-validation): stop only if good enough.
    bool confirmed = false;
    if constexpr (std::is_same_v<T, Trainer>) {
      if (job.stop_validation > 0 && job.validate) {
        trainer.confirm_stop = [&] {
          const double score = validation_score();
          confirmed = score >= job.stop_validation;
          out << "stopping rule holds after epoch " << trainer.epoch() << "; validation " << score
              << (confirmed ? " >= " : " < ") << job.stop_validation
              << (confirmed ? ": stop" : ": go on") << "\n";
          out.flush();
          return confirmed;
        };
      }
    }
    trainer.run([&](const auto& s) {
      if (validating && s.epoch + 1 >= job.validate_from &&
          (s.epoch + 1 - job.validate_from) % job.validate_every == 0) {
        const double score = validation_score();
        trainer.note_validation(score, s.epoch + 1);
        out << "validation after epoch " << s.epoch + 1 << ": " << score << " (best "
            << trainer.best_score() << " after epoch " << trainer.best_epoch() << ")\n";
        out.flush();
      }
      const auto now = std::chrono::steady_clock::now();
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const int done = s.epoch + 1 - start;
      const double per_epoch = elapsed / done;
      const bool last = s.epoch + 1 >= epochs;
      const bool print = tty ? std::chrono::duration<double>(now - last_print).count() > 0.5 || last
                             : (s.epoch + 1) % every == 0 || last;
      if (print) {
        char line[200];
        (void)std::snprintf(line, sizeof line,
                      "epoch %6d/%d  loss %.5f (mean10 %.5f)  acc %.3f  %.1f ms/epoch  ETA %s",
                      s.epoch + 1, epochs, s.loss, trainer.recent_loss(), s.accuracy,
                      per_epoch * 1e3,
                      format_duration(per_epoch * (epochs - s.epoch - 1)).c_str());
        err << (tty ? "\r" : "") << line << (tty ? "" : "\n");
        err.flush();
        last_print = now;
      }
      if (StopSignals::received() != 0) return false;  // saved below
      if (job.checkpoint_every > 0 && (s.epoch + 1) % job.checkpoint_every == 0) save();
      epoch_start = last_update_print = std::chrono::steady_clock::now();
      return true;
    });
    if (tty) err << "\n";
    save();
    const int sig = StopSignals::received();
    signals.reset();
    if (sig != 0) {
      err << "sasrnn train: stopped by " << signal_name(sig) << " after epoch " << trainer.epoch()
          << "; checkpoint " << ckpt_path << " and log " << log_file
          << " written; continue with --resume\n";
      return 128 + sig;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int trained = trainer.epoch() - start;
    const bool reached = job.stop_validation > 0 ? confirmed : trainer.stop_reached();
    out << "trained " << trained << " epochs in " << format_duration(wall) << " ("
        << (trained ? wall / trained * 1e3 : 0.0) << " ms/epoch)"
        << (reached ? std::string(", stopped by the stopping rule") : "")
        << "; loss of the last epoch "
        << (trainer.history().empty() ? 0.0 : trainer.history().back().loss)
        << ", mean of the last 10 " << trainer.recent_loss() << "\n";

    const bool selected = validating && trainer.has_best();
    if (selected) {
      out << "writing the parameters after epoch " << trainer.best_epoch() << " (validation "
          << trainer.best_score() << ")\n";
      trainer.params() = trainer.best_params();
    }
    conv::ModelData model = trainer.to_model(job.command);
    if (selected) {
      model.provenance.metrics.push_back({"selected_epoch", static_cast<double>(trainer.best_epoch())});
      model.provenance.metrics.push_back({"validation_accuracy", trainer.best_score()});
    }
    model.provenance.metrics.push_back({"train_seconds_this_session", wall});
    double epochs_seconds = 0;  // every epoch of the run, resumed sessions included
    for (const auto& h : trainer.history()) epochs_seconds += h.seconds;
    model.provenance.metrics.push_back({"train_seconds_all_epochs", epochs_seconds});
    model.provenance.metrics.push_back({"ms_per_epoch", trained ? wall / trained * 1e3 : 0.0});
    if (job.evaluate) {
      // Hours of training are not lost to a failing measurement (e.g. sampled networks that
      // overflow): the model is written without the metrics, with a warning.
      try {
        for (const conv::Metric& m : job.evaluate(model)) model.provenance.metrics.push_back(m);
      } catch (const std::exception& e) {
        err << "sasrnn train: warning: the final evaluation stopped (" << e.what()
            << "); the model is written without its test metrics\n";
      }
    }
    const conv::AlignedBuffer buf = conv::build_model_file(model);
    conv::write_file(job.out, buf.data(), buf.size());
    out << "wrote " << job.out << " (" << buf.size() << " bytes), log " << log_file
        << ", checkpoint " << ckpt_path << "\n";
    return 0;
  } catch (const Interrupted&) {  // inside an MNIST epoch: back at the last whole epoch
    const int sig = StopSignals::received();
    try {
      save();
    } catch (const std::exception& e) {
      err << "\nsasrnn train: stopped by " << signal_name(sig) << "; " << e.what() << "\n";
      return 1;
    }
    err << (isatty(fileno(stderr)) ? "\n" : "") << "sasrnn train: stopped by " << signal_name(sig)
        << " inside epoch " << trainer.epoch() + 1 << "; checkpoint " << ckpt_path
        << " (after epoch " << trainer.epoch() << ") and log " << log_file
        << " written; continue with --resume\n";
    return 128 + sig;
  } catch (const NonFiniteLoss& e) {  // nothing was updated: the state is the last whole epoch's
    std::string saved;
    try {
      save();
      saved = "; checkpoint " + ckpt_path + " holds the last whole epoch (" +
              std::to_string(trainer.epoch()) + ")";
    } catch (const std::exception& e2) {
      saved = "; no checkpoint written (" + std::string(e2.what()) + ")";
    }
    err << (isatty(fileno(stderr)) ? "\n" : "") << "sasrnn train: " << e.what() << saved
        << "; lower the learning rates or change the configuration\n";
    return 1;
  } catch (const std::exception& e) {
    err << (isatty(fileno(stderr)) ? "\n" : "") << "sasrnn train: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int run_train_job(const TrainJob& job, std::ostream& out, std::ostream& err) {
  return run_job<Trainer>(job, job.cfg, out, err);
}

int run_train_job(const FfTrainJob& job, std::ostream& out, std::ostream& err) {
  return run_job<ff::Trainer>(job, job.cfg, out, err);
}

}  // namespace sasrnn::train
