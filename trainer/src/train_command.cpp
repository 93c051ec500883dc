#include "sasrnn/trainer/train_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace sasrnn::train {

namespace {

std::string with_extension(const std::string& path, const std::string& ext) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? path.substr(0, dot) : path) + ext;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

int run_train_job(const TrainJob& job, std::ostream& out, std::ostream& err) {
  try {
    const std::string log_path = job.log.empty() ? with_extension(job.out, ".csv") : job.log;
    const std::string ckpt_path =
        job.checkpoint.empty() ? with_extension(job.out, ".ckpt") : job.checkpoint;
    Trainer trainer(job.cfg);
    if (job.resume) {
      if (!file_exists(ckpt_path)) {
        err << "sasrnn train: --resume: no checkpoint at " << ckpt_path << "\n";
        return 1;
      }
      trainer.load_checkpoint(ckpt_path);
      out << "resumed from " << ckpt_path << " at epoch " << trainer.epoch() << "\n";
    } else if (file_exists(ckpt_path)) {
      err << "sasrnn train: " << ckpt_path
          << " exists: pass --resume to continue that run, or remove it to start afresh\n";
      return 1;
    }
    // The log is rewritten from the (checkpointed) history, so it never holds epochs twice.
    std::ofstream log(log_path, std::ios::trunc);
    if (!log) {
      err << "sasrnn train: cannot write the log " << log_path << "\n";
      return 1;
    }
    log << csv_header() << "\n";
    for (const EpochStats& s : trainer.history()) log << csv_row(s) << "\n";
    log.flush();

    const TrainConfig& cfg = job.cfg;
    const bool tty = isatty(fileno(stderr)) != 0;
    const int every = job.progress_every > 0 ? job.progress_every : std::max(1, cfg.epochs / 40);
    const int start = trainer.epoch();
    const auto t0 = std::chrono::steady_clock::now();
    auto last_print = t0;
    out << "training " << train_task_name(cfg.kind) << " N=" << cfg.n << " batch=" << cfg.batch
        << " epochs=" << cfg.epochs << " seed=" << cfg.seed << " ("
        << (cfg.single_precision ? "float" : "double") << ", " << cfg.threads << " threads";
    if (trainer.updates_per_epoch() > 1) out << ", " << trainer.updates_per_epoch() << " batches per epoch";
    out << ")\n";
    out << "stopping rule: " << stop_rule_name(cfg.stop);
    if (cfg.stop != StopRule::None && cfg.target_loss > 0)
      out << " (loss " << (cfg.stop == StopRule::Authors ? "<= " : "< ") << cfg.target_loss
          << ", from epoch " << cfg.stop_from << ")";
    out << "\n";
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
      std::snprintf(line, sizeof line, "epoch %6d/%d  batch %d/%d  %.1f s/batch  epoch ETA %s",
                    trainer.epoch() + 1, cfg.epochs, done, total, in_epoch / done,
                    format_duration(in_epoch / done * (total - done)).c_str());
      err << (tty ? "\r" : "") << line << (tty ? "" : "\n");
      err.flush();
      last_update_print = now;
    };
    // Model selection: the best validated parameters (kept in the checkpoint).
    const bool validating = job.validate_every > 0 && job.validate;
    trainer.run([&](const EpochStats& s) {
      log << csv_row(s) << "\n";
      if (validating && s.epoch + 1 >= job.validate_from &&
          (s.epoch + 1 - job.validate_from) % job.validate_every == 0) {
        const double score = job.validate(trainer.to_model(job.command));
        trainer.note_validation(score, s.epoch + 1);
        out << "validation after epoch " << s.epoch + 1 << ": " << score << " (best "
            << trainer.best_score() << " after epoch " << trainer.best_epoch() << ")\n";
        out.flush();
      }
      const auto now = std::chrono::steady_clock::now();
      const double elapsed = std::chrono::duration<double>(now - t0).count();
      const int done = s.epoch + 1 - start;
      const double per_epoch = elapsed / done;
      const bool last = s.epoch + 1 >= cfg.epochs;
      const bool print = tty ? std::chrono::duration<double>(now - last_print).count() > 0.5 || last
                             : (s.epoch + 1) % every == 0 || last;
      if (print) {
        char line[200];
        std::snprintf(line, sizeof line,
                      "epoch %6d/%d  loss %.5f (mean10 %.5f)  acc %.3f  %.1f ms/epoch  ETA %s",
                      s.epoch + 1, cfg.epochs, s.loss, trainer.recent_loss(), s.accuracy,
                      per_epoch * 1e3,
                      format_duration(per_epoch * (cfg.epochs - s.epoch - 1)).c_str());
        err << (tty ? "\r" : "") << line << (tty ? "" : "\n");
        err.flush();
        last_print = now;
      }
      if (job.checkpoint_every > 0 && (s.epoch + 1) % job.checkpoint_every == 0) {
        log.flush();
        trainer.save_checkpoint(ckpt_path);
      }
      epoch_start = last_update_print = std::chrono::steady_clock::now();
      return true;
    });
    if (tty) err << "\n";
    log.flush();
    trainer.save_checkpoint(ckpt_path);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int trained = trainer.epoch() - start;
    const bool reached = trainer.stop_reached();
    out << "trained " << trained << " epochs in " << format_duration(wall) << " ("
        << (trained ? wall / trained * 1e3 : 0.0) << " ms/epoch)"
        << (reached ? std::string(", stopped by the rule '") + stop_rule_name(cfg.stop) + "'" : "")
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
    for (const EpochStats& h : trainer.history()) epochs_seconds += h.seconds;
    model.provenance.metrics.push_back({"train_seconds_all_epochs", epochs_seconds});
    model.provenance.metrics.push_back({"ms_per_epoch", trained ? wall / trained * 1e3 : 0.0});
    if (job.evaluate)
      for (const conv::Metric& m : job.evaluate(model)) model.provenance.metrics.push_back(m);
    const conv::AlignedBuffer buf = conv::build_model_file(model);
    conv::write_file(job.out, buf.data(), buf.size());
    out << "wrote " << job.out << " (" << buf.size() << " bytes), log " << log_path
        << ", checkpoint " << ckpt_path << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "sasrnn train: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sasrnn::train
