// sasrnn_insn_plugin: a QEMU TCG plugin that counts executed guest instructions exactly and
// reports the running count whenever the guest executes the first instruction of its mark
// function (sasrnn_fw_mark in the firmware; address given as mark=0x... by the caller).
//   qemu-system-arm ... -plugin libsasrnn_insn_plugin.so,mark=0x1234 -d plugin
// prints "sasrnn-mark <k> <instructions>" for the k-th mark and "sasrnn-insns <total>" at exit
// (QEMU's log: stderr). With profile=FILE it also writes, at exit, one line "<address> <count>"
// (hexadecimal, decimal) per executed instruction address to FILE: where the instructions went,
// which scripts/fw-profile sums per function.
//
// Debian's QEMU loads plugins but ships no qemu-plugin.h, so the parts of the plugin ABI used
// here are declared below: API version 1 (QEMU 7.x). Only opaque handles and plain C types cross
// the boundary; the symbols are resolved against the qemu-system-arm executable at load time.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

extern "C" {

typedef uint64_t qemu_plugin_id_t;
struct qemu_info_t;  // only passed through
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb* tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void* userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void* userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb* tb);
struct qemu_plugin_insn* qemu_plugin_tb_get_insn(const struct qemu_plugin_tb* tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn* insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn* insn,
                                                enum qemu_plugin_op op, void* ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn* insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void* userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void* userdata);
void qemu_plugin_outs(const char* string);

__attribute__((visibility("default"))) extern const int qemu_plugin_version;
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const struct qemu_info_t* info,
                                                               int argc, char** argv);
}

const int qemu_plugin_version = 1;

namespace {

uint64_t g_insns = 0;  // executed instructions (one vCPU: the mps2 boards have one core)
uint64_t g_mark_addr = ~0ull;
uint64_t g_marks = 0;
// Never destroyed: QEMU calls on_exit() after the process has run this library's static
// destructors (its own exit handler was registered first).
std::string& g_profile = *new std::string;  // profile=FILE, or empty
// per instruction address; the addresses of the counts stay valid when the map grows
std::unordered_map<uint64_t, uint64_t>& g_per_addr = *new std::unordered_map<uint64_t, uint64_t>;

void on_mark(unsigned int /*vcpu*/, void* /*udata*/) {
  char line[64];
  std::snprintf(line, sizeof line, "sasrnn-mark %" PRIu64 " %" PRIu64 "\n", g_marks++, g_insns);
  qemu_plugin_outs(line);
}

void on_translate(qemu_plugin_id_t /*id*/, struct qemu_plugin_tb* tb) {
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t k = 0; k < n; ++k) {
    struct qemu_plugin_insn* insn = qemu_plugin_tb_get_insn(tb, k);
    // Per instruction, not per block: a block left early (exception, semihosting call) is
    // counted exactly as far as it ran.
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_insns, 1);
    if (!g_profile.empty())
      qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                 &g_per_addr[qemu_plugin_insn_vaddr(insn)], 1);
    if (qemu_plugin_insn_vaddr(insn) == g_mark_addr)
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, nullptr);
  }
}

void on_exit(qemu_plugin_id_t /*id*/, void* /*udata*/) {
  char line[64];
  std::snprintf(line, sizeof line, "sasrnn-insns %" PRIu64 "\n", g_insns);
  qemu_plugin_outs(line);
  if (g_profile.empty()) return;
  std::FILE* f = std::fopen(g_profile.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "sasrnn_insn_plugin: cannot write %s\n", g_profile.c_str());
    return;
  }
  for (const auto& [addr, count] : g_per_addr)
    if (count != 0) std::fprintf(f, "%" PRIx64 " %" PRIu64 "\n", addr, count);
  std::fclose(f);
}

}  // namespace

int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t* /*info*/, int argc,
                        char** argv) {
  for (int k = 0; k < argc; ++k) {
    if (std::strncmp(argv[k], "mark=", 5) == 0) {
      char* end = nullptr;
      g_mark_addr = std::strtoull(argv[k] + 5, &end, 0) & ~1ull;  // Thumb bit off
      if (end == argv[k] + 5 || *end != '\0') {
        std::fprintf(stderr, "sasrnn_insn_plugin: bad argument '%s'\n", argv[k]);
        return -1;
      }
    } else if (std::strncmp(argv[k], "profile=", 8) == 0 && argv[k][8] != '\0') {
      g_profile = argv[k] + 8;
    } else {
      std::fprintf(stderr,
                   "sasrnn_insn_plugin: unknown argument '%s' (expected mark=ADDRESS or "
                   "profile=FILE)\n",
                   argv[k]);
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit, nullptr);
  return 0;
}
