import Foundation
import RTFormer
import ZIPFoundation

/// A Python value as `torch.save` pickles it, for writing test checkpoints the way the public
/// training scripts (timm's `CheckpointSaver`, Spikformer's and Spike-Driven Transformer's
/// `train.py`) write them — without PyTorch. Test support only.
public indirect enum PyValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case str(String)
    case bytes([UInt8])
    case list([PyValue])
    case tuple([PyValue])
    /// A plain `dict` (string keys, or ints as in optimizer state).
    case dict([(PyValue, PyValue)])
    /// `collections.OrderedDict` with a `_metadata` attribute, as `Module.state_dict()` returns.
    case stateDict([(String, PyValue)])
    /// A tensor; `dtype` is "float32", "float16", "bfloat16" or "int64" (the storage class written).
    case tensor(Tensor, dtype: String)
    /// `argparse.Namespace(**fields)`: NEWOBJ then BUILD with the field dict (protocol 2).
    case namespace([(String, PyValue)])
    /// `numpy.float64(x)`: `numpy.core.multiarray.scalar(numpy.dtype('f8', False, True), bytes)`.
    case numpyFloat64(Double)
    /// `module.name(*args)` pickled by REDUCE (`torch.device('cuda', 0)`, `pathlib.PosixPath(...)`),
    /// or any global a hostile pickle would call (`os.system`).
    case call(module: String, name: String, args: [PyValue])
    /// A bare class or function reference (`numpy.ndarray` passed to `_reconstruct`).
    case global(module: String, name: String)
    /// `value` followed by BUILD with `state` (an object's `__setstate__` data).
    case built(PyValue, state: PyValue)
    /// `value` followed by SETITEMS (a `collections.defaultdict`'s entries).
    case withItems(PyValue, [(PyValue, PyValue)])
}

/// Writes `torch.save` files: the zip format (torch ≥ 1.6) and the legacy stream format,
/// pickle protocol 2 as `torch.save` uses by default, opcodes as CPython's pickler emits them
/// (memoised globals and containers, NEWOBJ/BUILD for plain objects, `_codecs.encode` for bytes).
public struct TorchSaveWriter {
    private var out: [UInt8] = []
    private var memo: [String: Int] = [:]
    private var storages: [(key: String, dtype: String, bytes: [UInt8])] = []
    private let legacy: Bool

    private init(legacy: Bool) { self.legacy = legacy }

    /// The bytes of a zip-format `torch.save(root, "<archive>.pth...")`.
    public static func zip(_ root: PyValue, archive: String = "archive") throws -> [UInt8] {
        var w = TorchSaveWriter(legacy: false)
        w.pickle(root)
        let zip = try Archive(data: Data(), accessMode: .create)
        func add(_ path: String, _ bytes: [UInt8]) throws {
            try zip.addEntry(with: "\(archive)/\(path)", type: .file, uncompressedSize: Int64(bytes.count),
                             compressionMethod: .none) { position, size in
                Data(bytes[Int(position)..<(Int(position) + size)])
            }
        }
        try add("data.pkl", w.out)
        try add("byteorder", Array("little".utf8))
        for s in w.storages { try add("data/\(s.key)", s.bytes) }
        try add("version", Array("3\n".utf8))
        return [UInt8](zip.data!)
    }

    /// The bytes of a legacy-format `torch.save(root, f, _use_new_zipfile_serialization=False)`:
    /// magic number, protocol version, system info, the object, the storage keys, then each
    /// storage as an int64 element count and its raw data.
    public static func legacy(_ root: PyValue) -> [UInt8] {
        var head = TorchSaveWriter(legacy: true)
        head.begin(); head.out += [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]; head.out.append(0x2E)
        head.begin(); head.int(1001); head.out.append(0x2E)
        head.begin()
        head.value(.dict([(.str("protocol_version"), .int(1001)), (.str("little_endian"), .bool(true)),
                          (.str("type_sizes"), .dict([(.str("short"), .int(2)), (.str("int"), .int(4)), (.str("long"), .int(4))]))]))
        head.out.append(0x2E)
        var body = TorchSaveWriter(legacy: true)
        body.pickle(root)
        var keys = TorchSaveWriter(legacy: true)
        keys.pickle(.list(body.storages.map { .str($0.key) }))
        var bytes = head.out + body.out + keys.out
        for s in body.storages {
            let size = ["float16": 2, "bfloat16": 2, "int64": 8][s.dtype] ?? 4
            bytes += withUnsafeBytes(of: Int64(s.bytes.count / size).littleEndian, Array.init) + s.bytes
        }
        return bytes
    }

    private mutating func begin() {
        out += [0x80, 0x02]
        memo = [:]
    }

    private mutating func pickle(_ v: PyValue) {
        begin()
        value(v)
        out.append(0x2E)   // STOP
    }

    private mutating func put() {
        let i = memo.count
        memo["#\(i)"] = i
        if i < 256 { out += [0x71, UInt8(i)] } else { out += [0x72] + withUnsafeBytes(of: UInt32(i).littleEndian, Array.init) }
    }

    private mutating func global(_ module: String, _ name: String) {
        let k = module + "\n" + name
        if let i = memo[k] {
            if i < 256 { out += [0x68, UInt8(i)] } else { out += [0x6A] + withUnsafeBytes(of: UInt32(i).littleEndian, Array.init) }
            return
        }
        out += [0x63] + Array("\(module)\n\(name)\n".utf8)
        let i = memo.count
        memo[k] = i
        if i < 256 { out += [0x71, UInt8(i)] } else { out += [0x72] + withUnsafeBytes(of: UInt32(i).littleEndian, Array.init) }
    }

    private mutating func int(_ v: Int) {
        if v >= 0 && v < 256 {
            out += [0x4B, UInt8(v)]
        } else if v >= 0 && v < 65536 {
            out += [0x4D] + withUnsafeBytes(of: UInt16(v).littleEndian, Array.init)
        } else if v >= Int(Int32.min) && v <= Int(Int32.max) {
            out += [0x4A] + withUnsafeBytes(of: Int32(v).littleEndian, Array.init)
        } else {
            out += [0x8A, 8] + withUnsafeBytes(of: Int64(v).littleEndian, Array.init)
        }
    }

    private mutating func str(_ s: String) {
        let b = Array(s.utf8)
        out += [0x58] + withUnsafeBytes(of: UInt32(b.count).littleEndian, Array.init) + b
        put()
    }

    private mutating func tuple(_ items: [PyValue]) {
        switch items.count {
        case 0: out.append(0x29)
        case 1...3:
            for i in items { value(i) }
            out.append(0x84 + UInt8(items.count))
        default:
            out.append(0x28)
            for i in items { value(i) }
            out.append(0x74)
        }
        if !items.isEmpty { put() }
    }

    private mutating func setItems(_ pairs: [(PyValue, PyValue)]) {
        guard !pairs.isEmpty else { return }
        if pairs.count == 1 {
            value(pairs[0].0); value(pairs[0].1); out.append(0x73)
            return
        }
        out.append(0x28)
        for (k, v) in pairs { value(k); value(v) }
        out.append(0x75)
    }

    private mutating func value(_ v: PyValue) {
        switch v {
        case .none: out.append(0x4E)
        case let .bool(b): out.append(b ? 0x88 : 0x89)
        case let .int(i): int(i)
        case let .float(f): out += [0x47] + withUnsafeBytes(of: f.bitPattern.bigEndian, Array.init)
        case let .str(s): str(s)
        case let .bytes(b):
            global("_codecs", "encode")
            tuple([.str(String(b.map { Character(UnicodeScalar($0)) })), .str("latin1")])
            out.append(0x52); put()
        case let .list(items):
            out.append(0x5D); put()
            if items.count == 1 { value(items[0]); out.append(0x61) } else if !items.isEmpty {
                out.append(0x28)
                for i in items { value(i) }
                out.append(0x65)
            }
        case let .tuple(items): tuple(items)
        case let .dict(pairs):
            out.append(0x7D); put()
            setItems(pairs)
        case let .stateDict(entries):
            global("collections", "OrderedDict")
            out.append(0x29); out.append(0x52); put()
            setItems(entries.map { (.str($0.0), $0.1) })
            // state: {'_metadata': OrderedDict({'': {'version': 1}})}, set by BUILD.
            out.append(0x7D); put()
            value(.str("_metadata"))
            global("collections", "OrderedDict")
            out.append(0x29); out.append(0x52); put()
            value(.str("")); value(.dict([(.str("version"), .int(1))])); out.append(0x73)
            out.append(0x73)
            out.append(0x62)
        case let .tensor(t, dtype):
            global("torch._utils", "_rebuild_tensor_v2")
            out.append(0x28)
            let key = String(storages.count)
            let cls = ["float16": "HalfStorage", "bfloat16": "BFloat16Storage", "int64": "LongStorage"][dtype] ?? "FloatStorage"
            var bytes: [UInt8] = []
            for x in t.storage {
                switch dtype {
                case "float16": bytes += withUnsafeBytes(of: TorchSaveWriter.half(x).littleEndian, Array.init)
                case "bfloat16": bytes += withUnsafeBytes(of: TorchSaveWriter.bfloat(x).littleEndian, Array.init)
                case "int64": bytes += withUnsafeBytes(of: Int64(x).littleEndian, Array.init)
                default: bytes += withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init)
                }
            }
            storages.append((key, dtype, bytes))
            // persistent id ('storage', <Storage class>, key, 'cpu', numel[, None in legacy])
            out.append(0x28)
            value(.str("storage")); global("torch", cls); value(.str(key)); value(.str("cpu")); int(t.count)
            if legacy { out.append(0x4E) }
            out.append(0x74); put()
            out.append(0x51)
            int(0)
            let strides = t.shape.indices.map { i in t.shape[(i + 1)...].reduce(1, *) }
            tuple(t.shape.map { .int($0) })
            tuple(strides.map { .int($0) })
            out.append(0x89)   // requires_grad False
            global("collections", "OrderedDict"); out.append(0x29); out.append(0x52); put()
            out.append(0x74); put()
            out.append(0x52); put()
        case let .namespace(fields):
            global("argparse", "Namespace")
            out.append(0x29); out.append(0x81); put()
            out.append(0x7D); put()
            setItems(fields.map { (.str($0.0), $0.1) })
            out.append(0x62)
        case let .numpyFloat64(x):
            global("numpy.core.multiarray", "scalar")
            global("numpy", "dtype")
            tuple([.str("f8"), .bool(false), .bool(true)])
            out.append(0x52); put()
            tuple([.int(3), .str("<"), .none, .none, .none, .int(-1), .int(-1), .int(0)])
            out.append(0x62)
            value(.bytes(withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init)))
            out.append(0x86); put()
            out.append(0x52); put()
        case let .call(module, name, args):
            global(module, name)
            tuple(args)
            out.append(0x52); put()
        case let .global(module, name): global(module, name)
        case let .built(v, state):
            value(v); value(state); out.append(0x62)
        case let .withItems(v, items):
            value(v); setItems(items)
        }
    }

    /// bfloat16 of a float (its top 16 bits), rounded to nearest even (what `tensor.bfloat16()` does).
    public static func bfloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        return UInt16((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
    }

    /// IEEE half of a float, rounded to nearest even (what `tensor.half()` does).
    public static func half(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exp = Int((bits >> 23) & 0xFF) - 127 + 15
        var mant = bits & 0x7F_FFFF
        if exp >= 31 { return sign | 0x7C00 }
        if exp <= 0 {
            if exp < -10 { return sign }
            mant |= 0x80_0000
            let shift = UInt32(14 - exp)
            var h = mant >> shift
            let rem = mant & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if rem > halfway || (rem == halfway && h & 1 == 1) { h += 1 }
            return sign | UInt16(h)
        }
        var h = UInt32(exp) << 10 | (mant >> 13)
        let rem = mant & 0x1FFF
        if rem > 0x1000 || (rem == 0x1000 && h & 1 == 1) { h += 1 }
        return sign | UInt16(h)
    }
}
