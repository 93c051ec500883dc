// .npz import and export: a small ZIP reader/writer (stored and deflate, zip64 records) and a
// .npy reader/writer. Every offset and length read from a file is bounds-checked before use.
#include "sasrnn/converter/npz.hpp"

// ZLIB_CONST: z_stream::next_in is a pointer to const, so the input needs no const_cast.
#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "named_arrays.hpp"

namespace sasrnn::conv {

namespace {

using detail::Array;
using detail::Arrays;
using detail::printable;

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

// ---------------------------------------------------------------------------------------------
// Bounds-checked little-endian reads.

class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t size() const { return size_; }
  const uint8_t* data() const { return data_; }
  bool has(uint64_t offset, uint64_t length) const { return offset <= size_ && length <= size_ - offset; }
  uint64_t le(uint64_t offset, unsigned bytes, const char* what) const {
    if (!has(offset, bytes)) fail(std::string("truncated zip file (") + what + " runs past the end)");
    uint64_t v = 0;
    for (unsigned k = 0; k < bytes; ++k) v |= static_cast<uint64_t>(data_[offset + k]) << (8 * k);
    return v;
  }
  uint16_t u16(uint64_t offset, const char* what) const { return static_cast<uint16_t>(le(offset, 2, what)); }
  uint32_t u32(uint64_t offset, const char* what) const { return static_cast<uint32_t>(le(offset, 4, what)); }
  uint64_t u64(uint64_t offset, const char* what) const { return le(offset, 8, what); }

 private:
  const uint8_t* data_;
  size_t size_;
};

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50,
                   kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;

struct Member {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
};

std::string member_label(const std::string& name) { return "member '" + printable(name) + "'"; }

/// The central directory: every member's name, sizes, CRC and where its local header is.
std::vector<Member> read_directory(const Bytes& z) {
  // End of central directory: 22 bytes + a comment of up to 65535 bytes at the very end.
  if (z.size() < 22) {
    if (z.size() >= 4 && z.u32(0, "signature") == kLocalSig)
      fail("truncated zip file (no end of central directory record)");
    fail("not a zip file (a .npz is a zip archive of .npy arrays)");
  }
  uint64_t end = UINT64_MAX;
  const uint64_t lowest = z.size() > 22 + 65535 ? z.size() - 22 - 65535 : 0;
  for (uint64_t pos = z.size() - 22 + 1; pos-- > lowest;) {
    if (z.u32(pos, "end record") == kEndSig && pos + 22 + z.u16(pos + 20, "end record") == z.size()) {
      end = pos;
      break;
    }
  }
  if (end == UINT64_MAX) {
    if (z.u32(0, "signature") == kLocalSig) fail("truncated zip file (no end of central directory record)");
    fail("not a zip file (a .npz is a zip archive of .npy arrays)");
  }
  uint64_t disk = z.u16(end + 4, "end record"), cd_disk = z.u16(end + 6, "end record");
  uint64_t entries = z.u16(end + 10, "end record");
  uint64_t cd_size = z.u32(end + 12, "end record"), cd_offset = z.u32(end + 16, "end record");
  uint64_t cd_limit = end;
  // A zip64 end record, found through its locator just before the end record.
  if (end >= 20 && z.u32(end - 20, "zip64 locator") == kZip64LocatorSig) {
    const uint64_t z64 = z.u64(end - 20 + 8, "zip64 locator");
    if (!z.has(z64, 56) || z64 + 56 > end - 20 || z.u32(z64, "zip64 end record") != kZip64EndSig)
      fail("corrupt zip64 end of central directory record");
    disk = z.u32(z64 + 16, "zip64 end record");
    cd_disk = z.u32(z64 + 20, "zip64 end record");
    entries = z.u64(z64 + 32, "zip64 end record");
    cd_size = z.u64(z64 + 40, "zip64 end record");
    cd_offset = z.u64(z64 + 48, "zip64 end record");
    cd_limit = z64;
  } else if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    fail("zip64 archive without its zip64 end record (corrupt)");
  }
  if (disk != 0 || cd_disk != 0) fail("multi-volume zip archives are not supported");
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    fail("corrupt zip file (central directory outside the file)");
  if (entries > cd_size / 46) fail("corrupt zip file (more entries than the central directory holds)");

  std::vector<Member> members;
  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t k = 0; k < entries; ++k) {
    if (pos > cd_end || cd_end - pos < 46 || z.u32(pos, "central directory") != kCentralSig)
      fail("corrupt zip file (bad central directory entry " + std::to_string(k) + ")");
    Member m;
    m.flags = z.u16(pos + 8, "central directory");
    m.method = z.u16(pos + 10, "central directory");
    m.crc = z.u32(pos + 16, "central directory");
    m.compressed = z.u32(pos + 20, "central directory");
    m.uncompressed = z.u32(pos + 24, "central directory");
    const uint64_t name_len = z.u16(pos + 28, "central directory");
    const uint64_t extra_len = z.u16(pos + 30, "central directory");
    const uint64_t comment_len = z.u16(pos + 32, "central directory");
    const uint64_t start_disk = z.u16(pos + 34, "central directory");
    m.local_offset = z.u32(pos + 42, "central directory");
    const uint64_t name_at = pos + 46, extra_at = name_at + name_len;
    const uint64_t next = extra_at + extra_len + comment_len;
    if (next > cd_end) fail("corrupt zip file (central directory entry " + std::to_string(k) + " overruns)");
    m.name.assign(reinterpret_cast<const char*>(z.data() + name_at), name_len);
    // Zip64 extended information: 64-bit values for the fields that hold 0xFFFF(FFFF).
    for (uint64_t e = extra_at; e + 4 <= extra_at + extra_len;) {
      const uint16_t id = z.u16(e, "extra field");
      const uint64_t len = z.u16(e + 2, "extra field");
      if (e + 4 + len > extra_at + extra_len) fail("corrupt zip file (extra field of " + member_label(m.name) + ")");
      if (id == 0x0001) {
        uint64_t at = e + 4;
        const uint64_t stop = e + 4 + len;
        auto take = [&](uint64_t& field) {
          if (at + 8 > stop) fail("corrupt zip64 extra field of " + member_label(m.name));
          field = z.u64(at, "zip64 extra field");
          at += 8;
        };
        if (m.uncompressed == 0xFFFFFFFF) take(m.uncompressed);
        if (m.compressed == 0xFFFFFFFF) take(m.compressed);
        if (m.local_offset == 0xFFFFFFFF) take(m.local_offset);
      }
      e += 4 + len;
    }
    if (start_disk != 0 && start_disk != 0xFFFF) fail("multi-volume zip archives are not supported");
    members.push_back(std::move(m));
    pos = next;
  }
  return members;
}

/// The uncompressed bytes of one member, CRC-checked.
std::vector<uint8_t> extract(const Bytes& z, const Member& m) {
  const std::string label = member_label(m.name);
  if (m.flags & 0x1) fail(label + " is encrypted");
  const uint64_t lo = m.local_offset;
  if (!z.has(lo, 30) || z.u32(lo, "local header") != kLocalSig)
    fail("corrupt zip file (no local header for " + label + ")");
  const uint64_t name_len = z.u16(lo + 26, "local header"), extra_len = z.u16(lo + 28, "local header");
  const uint64_t data_at = lo + 30 + name_len + extra_len;
  if (name_len != m.name.size() || !z.has(lo + 30, name_len) ||
      std::memcmp(z.data() + lo + 30, m.name.data(), m.name.size()) != 0)
    fail("corrupt zip file (local header of " + label + " disagrees with the central directory)");
  if (!z.has(data_at, m.compressed)) fail("truncated zip file (" + label + " runs past the end)");
  const uint8_t* src = z.data() + data_at;

  std::vector<uint8_t> out;
  if (m.method == 0) {
    if (m.compressed != m.uncompressed) fail("corrupt zip file (stored " + label + " has two sizes)");
    out.assign(src, src + m.compressed);
  } else if (m.method == 8) {
    z_stream s{};
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) fail("zlib: cannot start inflate");
    // Grow the output as data arrives (a corrupt size field must not allocate gigabytes).
    out.resize(static_cast<size_t>(std::min<uint64_t>(m.uncompressed, uint64_t{1} << 24)));
    uint64_t in_done = 0, out_done = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (out_done == out.size()) {
        if (out.size() >= m.uncompressed) {
          // Room for exactly the declared size is used up: one more byte proves an overrun.
          out.resize(out.size() + 1);
        } else {
          out.resize(static_cast<size_t>(std::min<uint64_t>(m.uncompressed, 2 * out.size() + 65536)));
        }
      }
      const uint64_t in_left = m.compressed - in_done, out_left = out.size() - out_done;
      s.next_in = src + in_done;
      s.avail_in = static_cast<uInt>(std::min<uint64_t>(in_left, UINT_MAX));
      s.next_out = out.data() + out_done;
      s.avail_out = static_cast<uInt>(std::min<uint64_t>(out_left, UINT_MAX));
      const uInt in_before = s.avail_in, out_before = s.avail_out;
      rc = inflate(&s, Z_NO_FLUSH);
      in_done += in_before - s.avail_in;
      out_done += out_before - s.avail_out;
      if (out_done > m.uncompressed) {
        inflateEnd(&s);
        fail("corrupt " + label + " (inflates to more than its declared " + std::to_string(m.uncompressed) +
             " bytes)");
      }
      if (rc == Z_STREAM_END) break;
      if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
        const std::string why = s.msg ? s.msg : "error " + std::to_string(rc);
        inflateEnd(&s);
        fail("corrupt deflate data in " + label + " (" + printable(why) + ")");
      }
      if (rc == Z_BUF_ERROR && in_done == m.compressed) {
        inflateEnd(&s);
        fail("truncated deflate data in " + label);
      }
    }
    inflateEnd(&s);
    if (out_done != m.uncompressed)
      fail("corrupt " + label + " (inflates to " + std::to_string(out_done) + " bytes, declared " +
           std::to_string(m.uncompressed) + ")");
    out.resize(static_cast<size_t>(out_done));
  } else {
    fail(label + " uses compression method " + std::to_string(m.method) +
         " (only stored and deflate are supported)");
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t k = 0; k < out.size(); k += UINT_MAX / 2)
    crc = crc32(crc, out.data() + k, static_cast<uInt>(std::min<size_t>(out.size() - k, UINT_MAX / 2)));
  if (crc != m.crc) fail("corrupt " + label + " (CRC-32 mismatch)");
  return out;
}

// ---------------------------------------------------------------------------------------------
// .npy: the header is a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.

struct PyValue {
  enum class Kind { Str, Int, Bool, None, Tuple, List, Dict } kind = Kind::None;
  std::string str;
  uint64_t integer = 0;
  bool negative = false;
  bool boolean = false;
  std::vector<PyValue> items;                         // Tuple, List
  std::vector<std::pair<std::string, PyValue>> dict;  // Dict
};

class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : t_(text) {}

  PyValue parse() {
    PyValue v = value(0);
    space();
    if (p_ != t_.size()) bad("text after the dict");
    return v;
  }

 private:
  [[noreturn]] void bad(const std::string& why) const { fail("malformed .npy header (" + why + ")"); }
  void space() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool eat(char c) {
    space();
    if (p_ < t_.size() && t_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool word(const char* w) {
    const size_t n = std::strlen(w);
    if (t_.compare(p_, n, w) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }

  /// Items up to `close`, separated by commas, a trailing comma allowed.
  void sequence(char close, int depth, PyValue& out) {
    while (!eat(close)) {
      if (out.kind == PyValue::Kind::Dict) {
        PyValue key = value(depth + 1);
        if (key.kind != PyValue::Kind::Str) bad("a dict key is not a string");
        if (!eat(':')) bad("':' expected");
        out.dict.emplace_back(key.str, value(depth + 1));
      } else {
        out.items.push_back(value(depth + 1));
      }
      if (!eat(',')) {
        if (!eat(close)) bad("',' expected");
        return;
      }
    }
  }

  PyValue value(int depth) {
    if (depth > 8) bad("nested too deeply");
    space();
    if (p_ >= t_.size()) bad("ends early");
    PyValue v;
    const char c = t_[p_];
    if (c == '\'' || c == '"') {
      ++p_;
      v.kind = PyValue::Kind::Str;
      while (true) {
        if (p_ >= t_.size()) bad("unterminated string");
        char ch = t_[p_++];
        if (ch == c) break;
        if (ch == '\\') {
          if (p_ >= t_.size()) bad("unterminated string");
          ch = t_[p_++];
        }
        v.str += ch;
      }
    } else if (c == '{' || c == '(' || c == '[') {
      ++p_;
      v.kind = c == '{' ? PyValue::Kind::Dict : c == '(' ? PyValue::Kind::Tuple : PyValue::Kind::List;
      sequence(c == '{' ? '}' : c == '(' ? ')' : ']', depth, v);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = PyValue::Kind::Int;
      if (c == '-') {
        v.negative = true;
        ++p_;
      }
      if (p_ >= t_.size() || t_[p_] < '0' || t_[p_] > '9') bad("bad number");
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') {
        const uint64_t digit = static_cast<uint64_t>(t_[p_++] - '0');
        if (v.integer > (UINT64_MAX - digit) / 10) bad("number too large");
        v.integer = v.integer * 10 + digit;
      }
      if (p_ < t_.size() && t_[p_] == 'L') ++p_;  // Python 2 long
    } else if (word("True")) {
      v.kind = PyValue::Kind::Bool;
      v.boolean = true;
    } else if (word("False")) {
      v.kind = PyValue::Kind::Bool;
    } else if (word("None")) {
      v.kind = PyValue::Kind::None;
    } else {
      bad("unexpected character");
    }
    return v;
  }

  const std::string& t_;
  size_t p_ = 0;
};

/// A dtype string such as '<f4': byte order, kind letter, item size.
struct Dtype {
  char order = '|';
  char kind = '?';
  uint64_t size = 0;
  bool simple = false;  ///< a plain "<kind><size>" we may decode
};

Dtype parse_dtype(const std::string& d) {
  Dtype t;
  if (d.size() < 3 || (d[0] != '<' && d[0] != '>' && d[0] != '|' && d[0] != '=')) return t;
  t.order = d[0];
  t.kind = d[1];
  for (size_t k = 2; k < d.size(); ++k) {
    if (d[k] < '0' || d[k] > '9' || t.size > 1000000) return t;
    t.size = t.size * 10 + static_cast<uint64_t>(d[k] - '0');
  }
  t.simple = true;
  return t;
}

uint64_t load_le_or_be(const uint8_t* p, unsigned n, bool big) {
  uint64_t v = 0;
  for (unsigned k = 0; k < n; ++k) v |= static_cast<uint64_t>(p[big ? n - 1 - k : k]) << (8 * k);
  return v;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// Parses one .npy member into an Array (values widened, Fortran order made row-major).
Array read_npy(const std::vector<uint8_t>& b, const std::string& name) {
  const std::string label = "array '" + printable(name) + "'";
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (b.size() < 10 || std::memcmp(b.data(), kMagic, 6) != 0) fail(label + " is not a .npy array (bad magic)");
  const unsigned major = b[6], minor = b[7];
  uint64_t header_len = 0, header_at = 0;
  if (major == 1) {
    header_len = load_le_or_be(b.data() + 8, 2, false);
    header_at = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail(label + ": truncated .npy header");
    header_len = load_le_or_be(b.data() + 8, 4, false);
    header_at = 12;
  } else {
    fail(label + ": unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > b.size() - header_at) fail(label + ": truncated .npy header");
  const std::string text(reinterpret_cast<const char*>(b.data() + header_at), header_len);
  PyValue header;
  try {
    header = HeaderParser(text).parse();
  } catch (const std::runtime_error& e) {
    fail(label + ": " + e.what());
  }
  if (header.kind != PyValue::Kind::Dict) fail(label + ": malformed .npy header (not a dict)");
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape = nullptr;
  for (const auto& [key, v] : header.dict) {
    if (key == "descr") descr = &v;
    if (key == "fortran_order") fortran = &v;
    if (key == "shape") shape = &v;
  }
  if (!descr || !fortran || !shape) fail(label + ": malformed .npy header (needs descr, fortran_order, shape)");
  if (fortran->kind != PyValue::Kind::Bool) fail(label + ": malformed .npy header (fortran_order)");
  if (shape->kind != PyValue::Kind::Tuple) fail(label + ": malformed .npy header (shape is not a tuple)");

  Array a;
  uint64_t count = 1;
  for (const PyValue& d : shape->items) {
    if (d.kind != PyValue::Kind::Int || d.negative) fail(label + ": malformed .npy header (bad shape)");
    a.shape.push_back(d.integer);
    if (d.integer != 0 && count > UINT64_MAX / d.integer) fail(label + ": shape too large");
    count *= d.integer;
  }
  if (descr->kind != PyValue::Kind::Str) {
    a.dtype = "structured";
    a.kind = Array::Kind::Unsupported;
    return a;
  }
  a.dtype = descr->str;
  const Dtype t = parse_dtype(descr->str);
  const bool big = t.order == '>';
  const bool is_float = t.simple && t.kind == 'f' && (t.size == 4 || t.size == 8);
  const bool is_int = t.simple && (t.kind == 'i' || t.kind == 'u') &&
                      (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8);
  const bool is_bool = t.simple && t.kind == 'b' && t.size == 1;
  const bool is_unicode = t.simple && t.kind == 'U';
  const bool is_bytes = t.simple && t.kind == 'S';
  if (!(is_float || is_int || is_bool || is_unicode || is_bytes)) {
    a.kind = Array::Kind::Unsupported;
    return a;
  }
  const uint64_t item = is_unicode ? 4 * t.size : t.size;
  if (item == 0) fail(label + " has the zero-size dtype '" + printable(a.dtype) + "'");
  const uint64_t data_at = header_at + header_len;
  const uint64_t have = b.size() - data_at;
  if (item != 0 && count > UINT64_MAX / item) fail(label + ": shape too large");
  if (have != count * item)
    fail(label + " has " + std::to_string(have) + " bytes of data, its shape " + detail::shape_string(a.shape) +
         " and dtype '" + printable(a.dtype) + "' need " + std::to_string(count * item) +
         (have < count * item ? " (truncated)" : ""));

  // Fortran order: element (i0, i1, ...) is at i0 + s0 * (i1 + s1 * ...). Reorder to row-major.
  std::vector<uint64_t> source(static_cast<size_t>(count));
  const size_t nd = a.shape.size();
  if (fortran->boolean && nd > 1) {
    std::vector<uint64_t> index(nd, 0), stride(nd, 1);
    for (size_t d = 1; d < nd; ++d) stride[d] = stride[d - 1] * a.shape[d - 1];
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t off = 0;
      for (size_t d = 0; d < nd; ++d) off += index[d] * stride[d];
      source[k] = off;
      for (size_t d = nd; d-- > 0;) {  // next row-major index
        if (++index[d] < a.shape[d]) break;
        index[d] = 0;
      }
    }
  } else {
    for (uint64_t k = 0; k < count; ++k) source[k] = k;
  }

  const uint8_t* data = b.data() + data_at;
  const unsigned size = static_cast<unsigned>(item);
  if (is_float) {
    a.kind = Array::Kind::Float;
    a.f.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      const uint64_t bits = load_le_or_be(data + source[k] * item, size, big);
      if (size == 4) {
        const uint32_t b32 = static_cast<uint32_t>(bits);
        float v;
        std::memcpy(&v, &b32, 4);
        a.f[k] = v;
      } else {
        double v;
        std::memcpy(&v, &bits, 8);
        a.f[k] = v;
      }
    }
  } else if (is_int || is_bool) {
    a.kind = is_bool ? Array::Kind::Bool : Array::Kind::Int;
    a.is_unsigned = t.kind == 'u' && size == 8;
    a.i.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t bits = load_le_or_be(data + source[k] * item, size, big);
      if (t.kind == 'i' && size < 8 && (bits >> (8 * size - 1)) & 1) bits |= ~uint64_t{0} << (8 * size);
      a.i[k] = static_cast<int64_t>(bits);
    }
  } else {
    a.kind = Array::Kind::String;
    a.s.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      const uint8_t* p = data + source[k] * item;
      std::string& s = a.s[k];
      if (is_bytes) {
        s.assign(reinterpret_cast<const char*>(p), size);
      } else {
        for (uint64_t c = 0; c < t.size; ++c) {
          const uint32_t cp = static_cast<uint32_t>(load_le_or_be(p + 4 * c, 4, big));
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail(label + " holds an invalid UTF-32 character");
          append_utf8(s, cp);
        }
      }
      while (!s.empty() && s.back() == '\0') s.pop_back();  // NumPy pads with NULs
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Writing.

void put(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned k = 0; k < bytes; ++k) out.push_back(static_cast<uint8_t>(v >> (8 * k)));
}

/// UTF-8 to code points; invalid bytes become U+FFFD.
std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.size();) {
    const auto c = static_cast<unsigned char>(s[k]);
    const unsigned n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = n != 0 && k + n <= s.size();
    for (unsigned j = 1; ok && j < n; ++j) {
      const auto cc = static_cast<unsigned char>(s[k + j]);
      ok = (cc >> 6) == 2;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    out.push_back(ok ? cp : 0xFFFD);
    k += ok ? n : 1;
  }
  return out;
}

struct NpyOut {
  std::string name;
  std::vector<uint8_t> bytes;  // the whole .npy member
};

NpyOut npy(const std::string& name, const std::string& descr, const std::vector<uint64_t>& shape) {
  NpyOut o;
  o.name = name;
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " +
                     detail::shape_string(shape) + ", }";
  // Pad with spaces so that the data starts on a 64-byte boundary, as NumPy does.
  const size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  o.bytes.assign(magic, magic + 8);
  put(o.bytes, dict.size(), 2);
  o.bytes.insert(o.bytes.end(), dict.begin(), dict.end());
  return o;
}

NpyOut npy_f4(const std::string& name, const std::vector<float>& v, const std::vector<uint64_t>& shape) {
  NpyOut o = npy(name, "<f4", shape);
  for (float x : v) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    put(o.bytes, bits, 4);
  }
  return o;
}

NpyOut npy_f8(const std::string& name, const std::vector<double>& v) {
  NpyOut o = npy(name, "<f8", {v.size()});
  for (double x : v) {
    uint64_t bits;
    std::memcpy(&bits, &x, 8);
    put(o.bytes, bits, 8);
  }
  return o;
}

NpyOut npy_int(const std::string& name, const char* descr, uint64_t v) {
  NpyOut o = npy(name, descr, {});
  put(o.bytes, v, 8);
  return o;
}

NpyOut npy_strings(const std::string& name, const std::vector<std::string>& values, bool scalar) {
  std::vector<std::vector<uint32_t>> cps;
  size_t width = 1;
  for (const std::string& s : values) {
    cps.push_back(code_points(s));
    width = std::max(width, cps.back().size());
  }
  NpyOut o = npy(name, "<U" + std::to_string(width),
                 scalar ? std::vector<uint64_t>{} : std::vector<uint64_t>{values.size()});
  for (const auto& c : cps)
    for (size_t k = 0; k < width; ++k) put(o.bytes, k < c.size() ? c[k] : 0, 4);
  return o;
}

std::vector<uint8_t> zip_stored(const std::vector<NpyOut>& members, const std::string& path) {
  std::vector<uint8_t> out, directory;
  for (const NpyOut& m : members) {
    const std::string name = m.name + ".npy";
    const uint64_t offset = out.size();
    if (m.bytes.size() >= 0xFFFFFFFFu || offset >= 0xFFFFFFFFu)
      fail(path + ": model too large for a .npz without zip64 (4 GiB)");
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, m.bytes.data(), static_cast<uInt>(m.bytes.size()));
    // The fields a local header and its central directory entry share: version needed 2.0, no
    // flags, stored, DOS time 0 date 1980-01-01 (reproducible files), CRC, sizes, name, no extra.
    auto common = [&](std::vector<uint8_t>& to) {
      put(to, 20, 2);
      put(to, 0, 2);
      put(to, 0, 2);
      put(to, 0, 2);
      put(to, 0x21, 2);
      put(to, crc, 4);
      put(to, m.bytes.size(), 4);
      put(to, m.bytes.size(), 4);
      put(to, name.size(), 2);
      put(to, 0, 2);  // extra
    };
    put(out, kLocalSig, 4);
    common(out);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), m.bytes.begin(), m.bytes.end());
    put(directory, kCentralSig, 4);
    put(directory, 20, 2);  // made by: MS-DOS, 2.0
    common(directory);
    put(directory, 0, 2);  // comment
    put(directory, 0, 2);  // disk
    put(directory, 0, 2);  // internal attributes
    put(directory, 0, 4);  // external attributes
    put(directory, offset, 4);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  const uint64_t cd_offset = out.size();
  if (cd_offset + directory.size() >= 0xFFFFFFFFu) fail(path + ": model too large for a .npz without zip64 (4 GiB)");
  out.insert(out.end(), directory.begin(), directory.end());
  put(out, kEndSig, 4);
  put(out, 0, 2);
  put(out, 0, 2);
  put(out, members.size(), 2);
  put(out, members.size(), 2);
  put(out, directory.size(), 4);
  put(out, cd_offset, 4);
  put(out, 0, 2);
  return out;
}

}  // namespace

ModelData read_npz(const std::string& path) {
  const AlignedBuffer file = read_file(path);
  return parse_npz(file.data(), file.size(), path);
}

ModelData parse_npz(const uint8_t* data, size_t size, const std::string& label) {
  return detail::read_with_path(label, [&] {
    const Bytes z(data, size);
    const std::vector<Member> members = read_directory(z);
    Arrays arrays;
    for (const Member& m : members) {
      const size_t n = m.name.size();
      if (n < 5 || m.name.compare(n - 4, 4, ".npy") != 0)
        fail(member_label(m.name) + " is not a .npy array (a .npz holds only NAME.npy members)");
      const std::string name = m.name.substr(0, n - 4);
      if (arrays.count(name)) fail("array '" + printable(name) + "' appears twice");
      arrays[name] = read_npy(extract(z, m), name);
    }
    if (arrays.empty()) fail("empty .npz (no arrays)");
    return detail::assemble(arrays);
  });
}

void write_npz(const ModelData& d, const std::string& path) {
  detail::validate_for_writing(d, path);
  std::vector<NpyOut> members;
  const LayerData* layers[3] = {&d.input, &d.recurrent, &d.output};
  const char* suffix[3] = {"in", "rec", "out"};
  for (int l = 0; l < 3; ++l) {
    const std::vector<uint64_t> shape = {layers[l]->rows, layers[l]->cols};
    members.push_back(npy_f4(std::string("pi_") + suffix[l], layers[l]->pi, shape));
    members.push_back(npy_f4(std::string("m_") + suffix[l], layers[l]->m, shape));
    members.push_back(npy_f4(std::string("xi_") + suffix[l], layers[l]->xi, shape));
  }
  const DynamicsView& y = d.dynamics;
  for (const auto& [name, v] : detail::dynamics_fields(y)) members.push_back(npy_f4(name, {*v}, {}));
  members.push_back(npy_int("readout", "<i8", static_cast<uint64_t>(y.readout)));
  members.push_back(npy_int("task", "<i8", static_cast<uint64_t>(d.task)));
  if (d.task == TaskKind::MSI) {
    for (const auto& [name, v] : detail::msi_fields(d.msi)) members.push_back(npy_f4(name, {*v}, {}));
  }
  if (!d.input_mask.empty()) {
    NpyOut o = npy("input_mask", "|b1", {d.n, d.n_in});
    o.bytes.insert(o.bytes.end(), d.input_mask.begin(), d.input_mask.end());
    members.push_back(std::move(o));
  }
  if (!d.name.empty()) members.push_back(npy_strings("name", {d.name}, true));
  const Provenance& p = d.provenance;
  if (!p.trainer_version.empty())
    members.push_back(npy_strings("provenance_trainer_version", {p.trainer_version}, true));
  if (!p.command.empty()) members.push_back(npy_strings("provenance_command", {p.command}, true));
  if (!p.created.empty()) members.push_back(npy_strings("provenance_created", {p.created}, true));
  if (p.seed) members.push_back(npy_int("provenance_seed", "<u8", *p.seed));
  if (!p.metrics.empty()) {
    std::vector<std::string> names;
    std::vector<double> values;
    for (const Metric& m : p.metrics) {
      names.push_back(m.name);
      values.push_back(m.value);
    }
    members.push_back(npy_strings("provenance_metric_names", names, false));
    members.push_back(npy_f8("provenance_metric_values", values));
  }
  const std::vector<uint8_t> bytes = zip_stored(members, path);
  write_file(path, bytes.data(), bytes.size());
}

}  // namespace sasrnn::conv
