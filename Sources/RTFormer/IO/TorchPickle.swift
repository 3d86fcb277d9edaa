/// A storage reference met in a PyTorch pickle: persistent id
/// `('storage', <dtype>Storage, key, location, numel)`.
struct TorchStorageRef {
    var type: ScalarType
    var key: String
    var numel: Int
}

/// A tensor rebuild call (`_rebuild_tensor_v2(storage, offset, size, stride, ...)`), materialised
/// once the storage bytes are known.
struct TorchTensorRef {
    var storage: TorchStorageRef
    var offset: Int
    var size: [Int]
    var stride: [Int]
}

/// Mutable containers are classes so that memoised references see later `SETITEMS`/`APPENDS`.
final class PickleList {
    var items: [PickleValue] = []
}

final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
}

/// An inert stand-in for an object whose class or factory is not on the tensor/container
/// allowlist (`argparse.Namespace`, a numpy scalar, `torch.device`, `pathlib.PosixPath`, a timm
/// or apex object, ...): the global's `module.name`, the arguments it would have been called
/// with, the state a BUILD would have set, and any items SETITEMS/APPENDS added. Nothing is
/// imported or called. A class, so that later opcodes (BUILD, SETITEMS) fill in the same object.
final class PickleObject {
    let name: String
    var args: [PickleValue]
    var state: PickleValue?
    var dictItems: [(key: PickleValue, value: PickleValue)] = []
    var listItems: [PickleValue] = []

    init(name: String, args: [PickleValue]) {
        self.name = name
        self.args = args
    }
}

/// A value on the unpickler's stack. Only inert data exists here: no object is ever constructed
/// from a global other than the allow-listed rebuild functions and `OrderedDict`.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer wider than 64 bits (little-endian two's complement bytes).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global as `module.name`: an allow-listed function or class, or (`foreign`) any other
    /// name that is not refused, which can only ever yield a placeholder.
    case global(String, foreign: Bool)
    /// A placeholder for a foreign object (see `PickleObject`).
    case object(PickleObject)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)
    case mark
}

/// A safe but tolerant unpickler for `torch.save` files (pickle protocols 2 to 5 and the binary
/// opcodes of protocols 0/1 that torch emits). It never imports or calls anything.
///
/// The rule:
/// - **Interpreted** globals: the tensor rebuild functions `torch._utils._rebuild_tensor_v2`,
///   `_rebuild_tensor`, `_rebuild_parameter` (and `torch._tensor._rebuild_from_type_v2` around
///   them); the typed storage classes (`torch.FloatStorage`, `HalfStorage`, `BFloat16Storage`,
///   `DoubleStorage`, `LongStorage`, `IntStorage`, `ShortStorage`, `CharStorage`, `ByteStorage`,
///   `BoolStorage`) inside persistent ids; `collections.OrderedDict`; `_codecs.encode` of a
///   latin-1 string (how protocol 2 spells `bytes`); plain dict/list/tuple/set/str/bytes/int/
///   float/bool/None.
/// - **Refused by name**, wherever they sit: globals that run code or reach the system —
///   every name in `refusedModules` (`os`, `posix`, `nt`, `subprocess`, `sys`, `shutil`, `socket`,
///   `importlib`, `runpy`, `pty`, `ctypes`, `pickle`, `marshal`, `code`, `types` except
///   `types.SimpleNamespace`, `operator`, `functools`, `io`, `threading`, `asyncio`,
///   `multiprocessing`, `signal`, `webbrowser`, `torch.hub`/`jit`/`_C`/`ops`/`serialization`/`load`,
///   `numpy.load`/`lib.npyio`, ...) and every `builtins` name except the data types (`set`, `frozenset`, `bytearray`, `complex`,
///   `slice`, `range`, `object`, `int`, `float`, `str`, `bytes`, `bool`, `list`, `dict`, `tuple`).
///   So `os.system`, `builtins.eval`/`exec`/`getattr`, `subprocess.Popen` never load.
/// - **Placeholders**: any other global (`argparse.Namespace`, `numpy.core.multiarray.scalar`,
///   `numpy.dtype`, `numpy.core.multiarray._reconstruct`, `collections.defaultdict`,
///   `torch.Size`, `torch.device`, `pathlib.PosixPath`, timm/apex scaler classes, ...) becomes an
///   inert `PickleObject` holding its name, arguments and BUILD state as data.
///
/// `CheckpointFile` then allows only tensors inside the state_dict it loads; placeholders may
/// only sit elsewhere in a checkpoint (args, metric, optimizer and scaler state).
struct TorchUnpickler {
    static let storageTypes: [String: ScalarType] = [
        "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64, "torch.HalfStorage": .float16,
        "torch.BFloat16Storage": .bfloat16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
        "torch.ShortStorage": .int16, "torch.CharStorage": .int8, "torch.ByteStorage": .uint8,
        "torch.BoolStorage": .bool,
    ]
    static let functions: Set<String> = [
        "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
        "collections.OrderedDict", "torch._tensor._rebuild_from_type_v2", "_codecs.encode",
    ]
    /// Modules whose every global is refused (they execute code or reach the system).
    static let refusedModules: [String] = [
        "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "pty", "ctypes",
        "pickle", "_pickle", "marshal", "code", "codeop", "types", "operator", "_operator", "functools", "io", "_io",
        "multiprocessing", "signal", "webbrowser", "commands", "popen2", "asyncio", "threading", "_thread",
        "torch.hub", "torch.jit", "torch._C", "torch.ops", "torch.serialization", "torch.load", "torch.classes",
        "numpy.load", "numpy.lib.npyio", "numpy.testing", "numpy.f2py", "numpy.distutils",
    ]
    /// The only `builtins` (`__builtin__` in Python 2 pickles) names accepted, as placeholders:
    /// data types. `eval`, `exec`, `compile`, `open`, `getattr`, `__import__`, ... are refused.
    static let builtinDataTypes: Set<String> = [
        "set", "frozenset", "bytearray", "complex", "slice", "range", "object", "int", "float", "str", "bytes",
        "bool", "list", "dict", "tuple",
    ]

    /// Why a global is refused by name, or nil when it may be loaded (interpreted or placeholder).
    static func refusal(_ module: String, _ name: String) -> String? {
        if module == "builtins" || module == "__builtin__" {
            return builtinDataTypes.contains(name) ? nil : "a builtin that runs code or reaches the system"
        }
        let full = module + "." + name
        if full == "types.SimpleNamespace" { return nil }   // plain attribute data, like argparse.Namespace
        for m in refusedModules where module == m || module.hasPrefix(m + ".") || full == m {
            return "module '\(m)' runs code or reaches the system"
        }
        return nil
    }

    let bytes: [UInt8]
    var pos: Int
    let file: String
    /// The pickle's name inside the file ("data.pkl", or "pickle 3" in a legacy file).
    let member: String
    private var stack: [PickleValue] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ bytes: [UInt8], at pos: Int = 0, file: String, member: String) {
        self.bytes = bytes
        self.pos = pos
        self.file = file
        self.member = member
    }

    private func error(_ expected: String, found: String, at: Int? = nil) -> InputError {
        InputError(file: file, format: "PyTorch pickle", location: "\(member) byte \(at ?? pos)", expected: expected, found: found)
    }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else {
            throw error("\(n) more bytes", found: "end of the pickle (\(bytes.count - pos) bytes left)")
        }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    private mutating func uint(_ n: Int) throws -> Int {
        let s = try take(n)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        guard v <= UInt64(Int.max) else { throw error("a length below 2^63", found: "\(v)") }
        return Int(v)
    }

    private mutating func line() throws -> String {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { throw error("a newline-terminated argument", found: "end of the pickle") }
        defer { pos = nl + 1 }
        return String(decoding: bytes[pos..<nl], as: UTF8.self)
    }

    private mutating func pop(_ what: String) throws -> PickleValue {
        guard let v = stack.popLast() else { throw error("a value on the stack for \(what)", found: "an empty stack") }
        return v
    }

    private mutating func popToMark(_ what: String) throws -> [PickleValue] {
        guard let m = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
            throw error("a MARK before \(what)", found: "no MARK on the stack")
        }
        let items = Array(stack[(m + 1)...])
        stack.removeSubrange(m...)
        return items
    }

    private func integer(_ v: PickleValue, _ what: String) throws -> Int {
        switch v {
        case let .int(i): return Int(i)
        case let .bool(b): return b ? 1 : 0
        default: throw error("an integer for \(what)", found: "\(v.kind)")
        }
    }

    private func integers(_ v: PickleValue, _ what: String) throws -> [Int] {
        guard case let .tuple(items) = v else { throw error("a tuple of integers for \(what)", found: "\(v.kind)") }
        return try items.map { try integer($0, what) }
    }

    /// Runs the pickle up to its STOP opcode and returns the top value; `pos` is left after STOP.
    mutating func load() throws -> PickleValue {
        while true {
            let at = pos
            let op = try take(1).first!
            switch op {
            case 0x80: _ = try take(1)                                  // PROTO
            case 0x95: _ = try take(8)                                  // FRAME
            case 0x2E:                                                  // STOP
                return try pop("STOP")
            case 0x28: stack.append(.mark)                             // MARK
            case 0x30: _ = try pop("POP")                              // POP
            case 0x31: _ = try popToMark("POP_MARK")                   // POP_MARK
            case 0x32:                                                  // DUP
                guard let top = stack.last else { throw error("a value to DUP", found: "an empty stack", at: at) }
                stack.append(top)
            case 0x4E: stack.append(.none)                             // NONE
            case 0x88: stack.append(.bool(true))                       // NEWTRUE
            case 0x89: stack.append(.bool(false))                      // NEWFALSE
            case 0x4A:                                                  // BININT
                stack.append(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))
            case 0x4B: stack.append(.int(Int64(try uint(1))))          // BININT1
            case 0x4D: stack.append(.int(Int64(try uint(2))))          // BININT2
            case 0x8A, 0x8B:                                            // LONG1, LONG4
                let n = try uint(op == 0x8A ? 1 : 4)
                let raw = Array(try take(n))
                if n == 0 {
                    stack.append(.int(0))
                } else if n <= 8 {
                    var v: UInt64 = 0
                    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                    if raw[n - 1] & 0x80 != 0 && n < 8 { v |= ~0 << (8 * UInt64(n)) }
                    stack.append(.int(Int64(bitPattern: v)))
                } else {
                    stack.append(.bigInt(raw))
                }
            case 0x49, 0x4C:                                            // INT, LONG (text)
                var text = try line()
                if text.hasSuffix("L") { text.removeLast() }
                if text == "01" { stack.append(.bool(true)) } else if text == "00" { stack.append(.bool(false)) } else {
                    guard let v = Int64(text) else { throw error("a decimal integer", found: "'\(text)'", at: at) }
                    stack.append(.int(v))
                }
            case 0x47:                                                  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x46:                                                  // FLOAT (text)
                let text = try line()
                guard let v = Double(text) else { throw error("a decimal float", found: "'\(text)'", at: at) }
                stack.append(.float(v))
            case 0x58, 0x8C, 0x8D:                                      // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = try uint(op == 0x8C ? 1 : op == 0x58 ? 4 : 8)
                stack.append(.string(String(decoding: try take(n), as: UTF8.self)))
            case 0x54, 0x55:                                            // BINSTRING, SHORT_BINSTRING (latin-1)
                let n = try uint(op == 0x55 ? 1 : 4)
                stack.append(.string(String(try take(n).map { Character(UnicodeScalar($0)) })))
            case 0x42, 0x43, 0x8E:                                      // BINBYTES, SHORT_BINBYTES, BINBYTES8
                let n = try uint(op == 0x43 ? 1 : op == 0x42 ? 4 : 8)
                stack.append(.bytes(Array(try take(n))))
            case 0x7D: stack.append(.dict(PickleDict()))               // EMPTY_DICT
            case 0x64:                                                  // DICT
                let items = try popToMark("DICT")
                let d = PickleDict()
                try fill(d, items, at: at)
                stack.append(.dict(d))
            case 0x73:                                                  // SETITEM
                let value = try pop("SETITEM"), key = try pop("SETITEM")
                if case let .object(o)? = stack.last { o.dictItems.append((key, value)); continue }
                guard case let .dict(d)? = stack.last else {
                    throw error("a dict under SETITEM", found: stack.last?.kind ?? "an empty stack", at: at)
                }
                d.entries.append((key, value))
            case 0x75:                                                  // SETITEMS
                let items = try popToMark("SETITEMS")
                if case let .object(o)? = stack.last {
                    let pairs = PickleDict()
                    try fill(pairs, items, at: at)
                    o.dictItems += pairs.entries
                    continue
                }
                guard case let .dict(d)? = stack.last else {
                    throw error("a dict under SETITEMS", found: stack.last?.kind ?? "an empty stack", at: at)
                }
                try fill(d, items, at: at)
            case 0x5D: stack.append(.list(PickleList()))               // EMPTY_LIST
            case 0x6C:                                                  // LIST
                let l = PickleList()
                l.items = try popToMark("LIST")
                stack.append(.list(l))
            case 0x61, 0x65:                                            // APPEND, APPENDS
                let items = op == 0x61 ? [try pop("APPEND")] : try popToMark("APPENDS")
                if case let .object(o)? = stack.last { o.listItems += items; continue }
                guard case let .list(l)? = stack.last else {
                    throw error("a list under APPEND", found: stack.last?.kind ?? "an empty stack", at: at)
                }
                l.items += items
            case 0x29: stack.append(.tuple([]))                        // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popToMark("TUPLE")))    // TUPLE
            case 0x85, 0x86, 0x87:                                      // TUPLE1..3
                let n = Int(op - 0x84)
                guard stack.count >= n else { throw error("\(n) values for TUPLE\(n)", found: "\(stack.count)", at: at) }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(.tuple(items))
            case 0x70: memo[try memoIndex(line())] = try top("PUT")    // PUT
            case 0x71: memo[try uint(1)] = try top("BINPUT")           // BINPUT
            case 0x72: memo[try uint(4)] = try top("LONG_BINPUT")      // LONG_BINPUT
            case 0x94: memo[memo.count] = try top("MEMOIZE")           // MEMOIZE
            case 0x67: try get(memoIndex(line()), at: at)              // GET
            case 0x68: try get(uint(1), at: at)                        // BINGET
            case 0x6A: try get(uint(4), at: at)                        // LONG_BINGET
            case 0x63:                                                  // GLOBAL
                let module = try line(), name = try line()
                try pushGlobal(module, name, at: at)
            case 0x93:                                                  // STACK_GLOBAL
                let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
                guard case let .string(m) = module, case let .string(n) = name else {
                    throw error("two strings for STACK_GLOBAL", found: "\(module.kind), \(name.kind)", at: at)
                }
                try pushGlobal(m, n, at: at)
            case 0x51:                                                  // BINPERSID
                stack.append(try persistent(pop("BINPERSID"), at: at))
            case 0x52:                                                  // REDUCE
                let args = try pop("REDUCE"), callable = try pop("REDUCE")
                stack.append(try reduce(callable, args, at: at))
            case 0x81:                                                  // NEWOBJ
                let args = try pop("NEWOBJ"), cls = try pop("NEWOBJ")
                stack.append(try reduce(cls, args, at: at))
            case 0x92:                                                  // NEWOBJ_EX
                let kwargs = try pop("NEWOBJ_EX"), args = try pop("NEWOBJ_EX"), cls = try pop("NEWOBJ_EX")
                let value = try reduce(cls, args, at: at)
                if case let .object(o) = value, case let .dict(kw) = kwargs, !kw.entries.isEmpty { o.dictItems += kw.entries }
                stack.append(value)
            case 0x62:                                                  // BUILD
                // A placeholder keeps its state (a Namespace's attributes, a dtype's byte order).
                // The state of an allowed object (an OrderedDict's `_metadata`, a tensor's hooks)
                // is inert data that the tensors do not depend on, so it is dropped.
                let state = try pop("BUILD")
                if case let .object(o) = try top("BUILD") { o.state = state }
            case 0x8F: stack.append(.list(PickleList()))               // EMPTY_SET (kept as a list)
            case 0x90:                                                  // ADDITEMS
                let items = try popToMark("ADDITEMS")
                guard case let .list(l)? = stack.last else {
                    throw error("a set under ADDITEMS", found: stack.last?.kind ?? "an empty stack", at: at)
                }
                l.items += items
            case 0x91:                                                  // FROZENSET
                let l = PickleList()
                l.items = try popToMark("FROZENSET")
                stack.append(.list(l))
            default:
                throw error("a pickle opcode of protocols 2-5 that torch.save emits",
                            found: "opcode 0x\(String(op, radix: 16)) ('\(printable(op))')", at: at)
            }
        }
    }

    private func top(_ what: String) throws -> PickleValue {
        guard let v = stack.last else { throw error("a value to \(what)", found: "an empty stack") }
        return v
    }

    private func memoIndex(_ text: String) throws -> Int {
        guard let i = Int(text) else { throw error("a memo index", found: "'\(text)'") }
        return i
    }

    private mutating func get(_ index: Int, at: Int) throws {
        guard let v = memo[index] else { throw error("memo entry \(index)", found: "no such entry", at: at) }
        stack.append(v)
    }

    private func fill(_ d: PickleDict, _ items: [PickleValue], at: Int) throws {
        guard items.count % 2 == 0 else { throw error("key/value pairs", found: "\(items.count) items", at: at) }
        for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i], items[i + 1])) }
    }

    private mutating func pushGlobal(_ module: String, _ name: String, at: Int) throws {
        let full = module + "." + name
        if let why = TorchUnpickler.refusal(module, name) {
            throw error("no global that runs code (tensors, containers and inert placeholders only)",
                        found: "global '\(full)' (refusing global '\(full)' in \(member): \(why))", at: at)
        }
        let known = TorchUnpickler.functions.contains(full) || TorchUnpickler.storageTypes[full] != nil
        stack.append(.global(full, foreign: !known))
    }

    private func persistent(_ pid: PickleValue, at: Int) throws -> PickleValue {
        guard case let .tuple(items) = pid, items.count >= 5, case .string("storage") = items[0] else {
            throw error("a persistent id ('storage', type, key, location, numel)", found: pid.kind, at: at)
        }
        guard case let .global(cls, _) = items[1], let type = TorchUnpickler.storageTypes[cls] else {
            throw error("a typed storage class", found: items[1].kind, at: at)
        }
        let key: String
        switch items[2] {
        case let .string(s): key = s
        case let .int(i): key = String(i)
        default: throw error("a storage key", found: items[2].kind, at: at)
        }
        let numel = try integer(items[4], "storage numel")
        guard numel >= 0 else { throw error("a non-negative storage numel", found: "\(numel)", at: at) }
        return .storage(TorchStorageRef(type: type, key: key, numel: numel))
    }

    private func reduce(_ callable: PickleValue, _ args: PickleValue, at: Int) throws -> PickleValue {
        guard case let .global(name, foreign) = callable else {
            throw error("a callable global for REDUCE", found: callable.kind, at: at)
        }
        guard case let .tuple(a) = args else { throw error("an argument tuple for \(name)", found: args.kind, at: at) }
        if foreign { return .object(PickleObject(name: name, args: a)) }
        switch name {
        case "collections.OrderedDict":
            let d = PickleDict()
            // OrderedDict([(k, v), ...]) (protocol 0/1 style): the pairs are data.
            if case let .list(l)? = a.first {
                for item in l.items {
                    if case let .tuple(kv) = item, kv.count == 2 { d.entries.append((kv[0], kv[1])) }
                }
            }
            return .dict(d)
        case "_codecs.encode":
            // Protocol 2 writes `bytes` as _codecs.encode(<latin-1 str>, 'latin1').
            guard a.count == 2, case let .string(text) = a[0], case let .string(enc) = a[1],
                  ["latin1", "latin-1", "iso-8859-1"].contains(enc.lowercased()) else {
                throw error("_codecs.encode(str, 'latin1')", found: "\(a.map(\.kind))", at: at)
            }
            return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        case "torch._tensor._rebuild_from_type_v2":
            // (func, type, args, state): a tensor subclass rebuilt by `func(*args)`.
            guard a.count >= 3, case .global = a[0] else {
                throw error("(func, type, args, state) for \(name)", found: "\(a.map(\.kind))", at: at)
            }
            return try reduce(a[0], a[2], at: at)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard a.count >= 4, case let .storage(s) = a[0] else {
                throw error("(storage, offset, size, stride, ...) for \(name)", found: "\(a.map(\.kind))", at: at)
            }
            let offset = try integer(a[1], "storage offset")
            let size = try integers(a[2], "size"), stride = try integers(a[3], "stride")
            guard size.count == stride.count, offset >= 0, offset <= 1 << 40, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
                throw error("matching size and stride tuples and a non-negative offset",
                            found: "offset \(offset), size \(size), stride \(stride)", at: at)
            }
            return .tensor(TorchTensorRef(storage: s, offset: offset, size: size, stride: stride))
        case "torch._utils._rebuild_parameter":
            guard let data = a.first, case .tensor = data else {
                throw error("(tensor, requires_grad, hooks) for \(name)", found: "\(a.map(\.kind))", at: at)
            }
            return data
        default:
            throw error("a rebuild function or OrderedDict to call", found: "'\(name)' (a storage class is not callable)", at: at)
        }
    }

    private func printable(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }
}

extension PickleValue {
    /// A short name of the value's kind for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case let .bool(b): return "bool \(b)"
        case let .int(i): return "int \(i)"
        case .bigInt: return "a big int"
        case let .float(f): return "float \(f)"
        case let .string(s): return "str '\(s.prefix(40))'"
        case let .bytes(b): return "bytes (\(b.count))"
        case let .tuple(t): return "tuple of \(t.count)"
        case let .list(l): return "list of \(l.items.count)"
        case let .dict(d): return "dict of \(d.entries.count)"
        case let .global(g, _): return "global '\(g)'"
        case let .object(o): return "\(o.name)(...)"
        case let .storage(s): return "storage '\(s.key)'"
        case let .tensor(t): return "tensor \(t.size)"
        case .mark: return "MARK"
        }
    }
}
