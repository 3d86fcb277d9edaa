import Foundation

/// The inert content of a `torch.save` file: tensors (materialised to Float32) inside plain
/// containers.
public indirect enum TorchObject: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tensor and the element type of its storage ("float32", "int64", ...).
    case tensor(Tensor, dtype: String)
    case list([TorchObject])
    case tuple([TorchObject])
    /// A dict or `OrderedDict`, entries in pickle order.
    case dict([(key: TorchObject, value: TorchObject)])
    /// A value with no Swift counterpart (an integer beyond 64 bits), described in words.
    case other(String)
    /// An inert placeholder for an object outside the unpickler's allowlist (see
    /// `TorchPlaceholder`): `argparse.Namespace`, a numpy scalar, `torch.device`, ...
    case placeholder(TorchPlaceholder)

    /// The entry under a string key, for dicts.
    public subscript(key: String) -> TorchObject? {
        guard case let .dict(entries) = self else { return nil }
        return entries.first { if case .string(key) = $0.key { return true } else { return false } }?.value
    }

    /// The `(key, tensor)` pairs of a dict whose values are tensors, in file order; other values
    /// are ignored. Nil when `self` is not a dict.
    public var tensorEntries: [(String, Tensor)]? {
        guard case let .dict(entries) = self else { return nil }
        return entries.compactMap { e in
            guard case let .string(k) = e.key, case let .tensor(t, _) = e.value else { return nil }
            return (k, t)
        }
    }
}

/// Reader for PyTorch `torch.save` files: the zip format (torch ≥ 1.6: `<name>/data.pkl` plus
/// `<name>/data/<key>` storages) and the legacy non-zip format (five consecutive pickles —
/// magic number, protocol version, system info, the object, storage keys — then each storage as
/// an int64 element count and raw little-endian data).
///
/// Unpickling is restricted (see `TorchUnpickler`): only tensor rebuilds, typed storages,
/// `OrderedDict` and plain containers are accepted; any other global is refused by name.
public enum TorchFile {
    /// Reads and materialises a `.pth`/`.pt` file.
    ///
    /// Tensors with any strides are materialised into row-major Float32 (a non-contiguous view
    /// is gathered element by element), honouring the storage offset.
    /// - Throws: `InputError` (formats "PyTorch zip", "PyTorch legacy", "PyTorch pickle") naming
    ///   the member and byte offset: not a zip/legacy file, no `data.pkl`, a big-endian file, a
    ///   refused global or opcode, a missing storage member, a storage shorter than its numel, or a
    ///   view reaching past its storage.
    public static func load(path: String) throws -> TorchObject {
        try parse(InputBytes.read(path, format: "PyTorch file"), file: path)
    }

    /// Parses the bytes of a `.pth`/`.pt` file; `file` names it in errors. See `load(path:)`.
    public static func parse(_ bytes: [UInt8], file path: String) throws -> TorchObject {
        if isZip(bytes) { return try loadZip(bytes, file: path) }
        if bytes.starts(with: [0x80]) { return try loadLegacy(bytes, file: path) }
        throw InputError(file: path, format: "PyTorch file", location: "byte 0",
                         expected: "a zip archive ('PK\\x03\\x04') or a legacy pickle stream (0x80)",
                         found: "bytes \(bytes.prefix(4).map { String($0, radix: 16) })")
    }

    /// True when `bytes` start like a zip archive (the torch ≥ 1.6 format).
    public static func isZip(_ bytes: some Collection<UInt8>) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// True when `bytes` start with the legacy format's first pickle: protocol 2, then the
    /// 10-byte LONG1 magic number 0x1950a86a20f9469cfc6c.
    public static func isLegacy(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19])
    }

    static func loadZip(_ bytes: [UInt8], file: String) throws -> TorchObject {
        let format = "PyTorch zip"
        // The directory is validated here (ZipMembers) before any member is read: ZIPFoundation's
        // Archive traps on offsets that a damaged file makes point outside it.
        let archive = try ZipMembers(bytes, file: file)
        guard let pkl = archive.entries.first(where: { $0.path == "data.pkl" || $0.path.hasSuffix("/data.pkl") }) else {
            throw InputError(file: file, format: format, expected: "a member '<name>/data.pkl'",
                             found: "members " + Printable.list(archive.entries.map(\.path), limit: 8))
        }
        let prefix = String(pkl.path.dropLast("data.pkl".count))
        func member(_ path: String) throws -> [UInt8]? {
            guard let entry = archive.entry(path) else { return nil }
            return try archive.extract(entry)
        }
        if let order = try member(prefix + "byteorder"), String(decoding: order, as: UTF8.self).hasPrefix("big") {
            throw InputError(file: file, format: format, location: "member \(prefix)byteorder",
                             expected: "little-endian storages", found: "big")
        }
        var unpickler = TorchUnpickler(try member(pkl.path) ?? [], file: file, member: pkl.path)
        let root = try unpickler.load()
        var cache: [String: [UInt8]] = [:]
        return try materialise(root, file: file) { ref in
            if let b = cache[ref.key] { return b }
            guard let b = try member(prefix + "data/" + ref.key) else {
                throw InputError(file: file, format: format, location: "storage '\(ref.key)'",
                                 expected: "a member '\(prefix)data/\(ref.key)'", found: "no such member")
            }
            cache[ref.key] = b
            return b
        }
    }

    static func loadLegacy(_ bytes: [UInt8], file: String) throws -> TorchObject {
        let format = "PyTorch legacy"
        let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        var pos = 0
        func next(_ name: String) throws -> PickleValue {
            var u = TorchUnpickler(bytes, at: pos, file: file, member: name)
            let v = try u.load()
            pos = u.pos
            return v
        }
        let first = try next("pickle 1 (magic number)")
        guard case let .bigInt(m) = first, m == magic else {
            throw InputError(file: file, format: format, location: "byte 0",
                             expected: "the legacy magic number 0x1950a86a20f9469cfc6c", found: first.kind)
        }
        guard case let .int(version) = try next("pickle 2 (protocol version)"), version == 1001 else {
            throw InputError(file: file, format: format, location: "pickle 2", expected: "protocol version 1001", found: "another value")
        }
        if case let .dict(info) = try next("pickle 3 (system info)") {
            for e in info.entries {
                if case .string("little_endian") = e.key, case .bool(false) = e.value {
                    throw InputError(file: file, format: format, location: "pickle 3", expected: "little_endian True", found: "False")
                }
            }
        }
        let root = try next("pickle 4 (object)")
        guard case let .list(keyList) = try next("pickle 5 (storage keys)") else {
            throw InputError(file: file, format: format, location: "pickle 5", expected: "a list of storage keys", found: "another value")
        }
        var storages: [String: (start: Int, count: Int)] = [:]
        for k in keyList.items {
            guard case let .string(key) = k else {
                throw InputError(file: file, format: format, location: "pickle 5", expected: "string storage keys", found: k.kind)
            }
            var cursor = ByteCursor(bytes, offset: pos, file: file, format: format)
            let count = try cursor.i64("element count of storage '\(key)'")
            guard count >= 0, count <= 1 << 40 else {
                throw InputError(file: file, format: format, location: "storage '\(key)' at byte \(pos)",
                                 expected: "an element count in 0...2^40", found: "\(count)")
            }
            pos = cursor.offset
            storages[key] = (pos, Int(count))
            // The data section stores no element size; the storage type in the object pickle has it.
            guard let size = storageElementSize(root, key: key) else {
                throw InputError(file: file, format: format, location: "storage '\(key)'",
                                 expected: "a reference to it in the object pickle", found: "none")
            }
            try cursor.need(Int(count) * size, for: "storage '\(key)' data")
            pos += Int(count) * size
        }
        return try materialise(root, file: file) { ref in
            guard let s = storages[ref.key] else {
                throw InputError(file: file, format: format, location: "storage '\(ref.key)'",
                                 expected: "the key in the storage list", found: "no such key")
            }
            return Array(bytes[s.start..<(s.start + s.count * ref.type.size)])
        }
    }

    /// The element size of storage `key` as referenced somewhere in `value`.
    private static func storageElementSize(_ value: PickleValue, key: String, depth: Int = 0) -> Int? {
        guard depth < maxDepth else { return nil }
        switch value {
        case let .tensor(t): return t.storage.key == key ? t.storage.type.size : nil
        case let .storage(s): return s.key == key ? s.type.size : nil
        case let .tuple(items): return items.lazy.compactMap { storageElementSize($0, key: key, depth: depth + 1) }.first
        case let .list(l): return l.items.lazy.compactMap { storageElementSize($0, key: key, depth: depth + 1) }.first
        case let .dict(d):
            return d.entries.lazy.compactMap { storageElementSize($0.value, key: key, depth: depth + 1) }.first
        case let .object(o):
            let parts = o.args + o.listItems + o.dictItems.map(\.value) + (o.state.map { [$0] } ?? [])
            return parts.lazy.compactMap { storageElementSize($0, key: key, depth: depth + 1) }.first
        default: return nil
        }
    }

    /// Nesting limit for containers in a pickle (state dicts nest 2-3 deep).
    static let maxDepth = 200

    /// Converts unpickled values to `TorchObject`, reading each tensor's storage through `storage`.
    static func materialise(_ value: PickleValue, file: String, storage: (TorchStorageRef) throws -> [UInt8]) throws -> TorchObject {
        var depth = 0
        func convert(_ v: PickleValue) throws -> TorchObject {
            // A pickle can nest containers arbitrarily deep or make one contain itself (memo GET);
            // both would overflow the stack here, so nesting is capped.
            depth += 1
            defer { depth -= 1 }
            guard depth <= maxDepth else {
                throw InputError(file: file, format: "PyTorch pickle", location: "object tree",
                                 expected: "containers nested at most \(maxDepth) deep",
                                 found: "deeper nesting or a container that contains itself")
            }
            switch v {
            case .none: return .none
            case let .bool(b): return .bool(b)
            case let .int(i): return .int(i)
            case let .bigInt(b): return .other("integer of \(b.count) bytes")
            case let .float(f): return .float(f)
            case let .string(s): return .string(s)
            case let .bytes(b): return .bytes(b)
            case let .tuple(items): return .tuple(try items.map(convert))
            case let .list(l): return .list(try l.items.map(convert))
            case let .dict(d): return .dict(try d.entries.map { (try convert($0.key), try convert($0.value)) })
            case let .global(g, _): return .placeholder(TorchPlaceholder(name: g))
            case let .object(o):
                return .placeholder(TorchPlaceholder(
                    name: o.name, args: try o.args.map(convert), state: try o.state.map(convert),
                    items: try o.dictItems.map { (try convert($0.key), try convert($0.value)) }, listItems: try o.listItems.map(convert)))
            case let .storage(s): return .other("storage \(s.key)")
            case .mark: return .other("MARK")
            case let .tensor(t):
                let data = try storage(t.storage)
                return .tensor(try gather(t, data, file: file), dtype: t.storage.type.rawValue)
            }
        }
        return try convert(value)
    }

    /// Row-major Float32 elements of a strided view into storage bytes.
    static func gather(_ t: TorchTensorRef, _ data: [UInt8], file: String) throws -> Tensor {
        let type = t.storage.type
        guard t.storage.numel <= 1 << 40 else {
            throw InputError(file: file, format: "PyTorch file", location: "storage '\(t.storage.key)'",
                             expected: "a storage of fewer than 2^40 elements", found: "numel \(t.storage.numel)")
        }
        var count = 1, span = 0
        for (n, s) in zip(t.size, t.stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: n)
            let (e, o2) = max(0, n - 1).multipliedReportingOverflow(by: s)
            let (sp, o3) = span.addingReportingOverflow(e)
            guard !o1, !o2, !o3, c <= 1 << 40 else {
                throw InputError(file: file, format: "PyTorch file", location: "storage '\(t.storage.key)'",
                                 expected: "a tensor of fewer than 2^40 elements",
                                 found: "size \(t.size), stride \(t.stride), storage numel \(t.storage.numel)")
            }
            (count, span) = (c, sp)
        }
        let available = min(t.storage.numel, data.count / type.size)
        guard data.count >= t.storage.numel * type.size else {
            throw InputError(file: file, format: "PyTorch file", location: "storage '\(t.storage.key)'",
                             expected: "\(t.storage.numel) elements of \(type.rawValue) (\(t.storage.numel * type.size) bytes)",
                             found: "\(data.count) bytes")
        }
        if count == 0 { return Tensor(shape: t.size) }
        let last = t.offset + span
        guard last < available else {
            throw InputError(file: file, format: "PyTorch file", location: "storage '\(t.storage.key)'",
                             expected: "a view (offset \(t.offset), size \(t.size), stride \(t.stride)) inside the storage",
                             found: "it reaches element \(last) of \(available)")
        }
        let contiguous = Tensor(shape: t.size).strides
        if t.stride == contiguous || t.size.count == 0 {
            return Tensor(shape: t.size, storage: type.decode(data, base: t.offset * type.size, count: count))
        }
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: t.size.count)
        for flat in 0..<count {
            var src = t.offset
            for (i, s) in zip(index, t.stride) { src += i * s }
            out[flat] = type.load(data, base: 0, index: src)
            var axis = index.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < t.size[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: t.size, storage: out)
    }
}
