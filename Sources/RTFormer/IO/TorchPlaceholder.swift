import Foundation

/// An object of a `torch.save` file whose class is outside the unpickler's allowlist, kept as
/// inert data (see `TorchUnpickler`): `argparse.Namespace(...)`, a numpy scalar, `torch.device`,
/// `pathlib.PosixPath`, a timm/apex scaler, ... Nothing was imported or called to make it.
public struct TorchPlaceholder: Sendable {
    /// The global's `module.name` (`argparse.Namespace`, `numpy.core.multiarray.scalar`).
    public var name: String
    /// The arguments the class or factory would have been called with (REDUCE / NEWOBJ).
    public var args: [TorchObject]
    /// The state a BUILD would have set (a Namespace's attribute dict), when there was one.
    public var state: TorchObject?
    /// Items SETITEMS added (a `defaultdict`'s entries).
    public var items: [(key: TorchObject, value: TorchObject)]
    /// Items APPENDS added.
    public var listItems: [TorchObject]

    /// A placeholder for `name` with what the pickle gave it (see the properties).
    public init(name: String, args: [TorchObject] = [], state: TorchObject? = nil,
                items: [(key: TorchObject, value: TorchObject)] = [], listItems: [TorchObject] = []) {
        self.name = name
        self.args = args
        self.state = state
        self.items = items
        self.listItems = listItems
    }

    /// Named attributes: the BUILD state's string-keyed entries (an `argparse.Namespace`'s
    /// fields; a `(dict, slots)` state tuple's dict), else the SETITEMS entries.
    public var attributes: [(String, TorchObject)] {
        var dict: TorchObject? = state
        if case let .tuple(parts)? = state, let first = parts.first { dict = first }
        var out: [(String, TorchObject)] = []
        if case let .dict(entries)? = dict {
            for e in entries { if case let .string(k) = e.key { out.append((k, e.value)) } }
        }
        if out.isEmpty {
            for e in items { if case let .string(k) = e.key { out.append((k, e.value)) } }
        }
        return out
    }

    /// The value of a numpy scalar (`numpy.core.multiarray.scalar(dtype('f8'), bytes)`, also
    /// under `numpy._core`), decoded from its little-endian bytes; nil for anything else.
    public var numericValue: Double? {
        guard name.hasSuffix("multiarray.scalar"), args.count >= 2, case let .bytes(raw) = args[1],
              case let .placeholder(dtype) = args[0], case let .string(code)? = dtype.args.first else { return nil }
        func le(_ n: Int) -> UInt64? {
            guard raw.count == n else { return nil }
            return raw.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        switch code {
        case "f8": return le(8).map { Double(bitPattern: $0) }
        case "f4": return le(4).map { Double(Float(bitPattern: UInt32($0))) }
        case "f2": return le(2).map { Double(Safetensors.halfToFloat(UInt16($0))) }
        case "i8": return le(8).map { Double(Int64(bitPattern: $0)) }
        case "i4": return le(4).map { Double(Int32(bitPattern: UInt32($0))) }
        case "u8": return le(8).map { Double($0) }
        case "u4": return le(4).map { Double($0) }
        case "b1", "?": return le(1).map { Double($0) }
        default: return nil
        }
    }

    /// A one-line description: `argparse.Namespace(dim=384, num_heads=12, … 87 fields)`,
    /// `numpy.float64(93.41)`, `torch.device('cuda', 0)`.
    public var summary: String {
        if let v = numericValue {
            var code = ""
            if case let .placeholder(d) = args[0], case let .string(c)? = d.args.first { code = c }
            let kind = ["f8": "float64", "f4": "float32", "f2": "float16", "i8": "int64", "i4": "int32", "u8": "uint64",
                        "u4": "uint32", "b1": "bool", "?": "bool"][code] ?? code
            return "numpy.\(kind)(\(TorchObject.number(v)))"
        }
        let attrs = attributes
        if !attrs.isEmpty {
            let shown = attrs.prefix(6).map { "\($0.0)=\($0.1.summary(depth: 2))" }
            return "\(name)(" + shown.joined(separator: ", ") + (attrs.count > 6 ? ", … \(attrs.count) fields" : "") + ")"
        }
        let shown = args.prefix(4).map { $0.summary(depth: 2) }
        return "\(name)(" + shown.joined(separator: ", ") + (args.count > 4 ? ", …" : "") + ")"
    }
}

extension TorchObject {
    /// A short, one-line description for `rtformer info`: `tensor float32 [64, 3, 3, 3]`,
    /// `dict of 107 (block.0.attn.q_linear.weight, …)`, `argparse.Namespace(dim=384, …)`.
    public func summary(depth: Int = 1) -> String {
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .float(f): return TorchObject.number(f)
        case let .string(s): return "'" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "'"
        case let .bytes(b): return "bytes (\(b.count))"
        case let .tensor(t, dtype): return "tensor \(dtype) \(t.shape)"
        case let .list(items): return depth <= 0 || items.count > 4 ? "list of \(items.count)" : "[" + items.map { $0.summary(depth: depth - 1) }.joined(separator: ", ") + "]"
        case let .tuple(items): return depth <= 0 || items.count > 4 ? "tuple of \(items.count)" : "(" + items.map { $0.summary(depth: depth - 1) }.joined(separator: ", ") + ")"
        case let .dict(entries):
            let keys = entries.prefix(3).map { e -> String in if case let .string(k) = e.key { return k } else { return e.key.summary(depth: 0) } }
            return "dict of \(entries.count)" + (entries.isEmpty ? "" : " (" + keys.joined(separator: ", ") + (entries.count > 3 ? ", …" : "") + ")")
        case let .other(s): return s
        case let .placeholder(p): return depth <= 0 ? p.name + "(...)" : p.summary
        }
    }

    /// A number as a Python user reads it (integers without a decimal point).
    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// A plain number: int, float, bool, or a numpy scalar placeholder.
    public var numericValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .float(f): return f
        case let .bool(b): return b ? 1 : 0
        case let .placeholder(p): return p.numericValue
        case let .tensor(t, _) where t.count == 1: return Double(t.storage[0])
        default: return nil
        }
    }

    /// The value as JSON-compatible data (numbers, strings, arrays, objects; tensors and
    /// placeholders as their summary strings), for `info --json` and config inference.
    public var jsonValue: Any {
        switch self {
        case .none: return NSNull()
        case let .bool(b): return b
        case let .int(i): return Int(i)
        case let .float(f): return f.isFinite ? f : String(f)
        case let .string(s): return s
        case let .list(items), let .tuple(items): return items.map(\.jsonValue)
        case let .dict(entries):
            var o: [String: Any] = [:]
            for e in entries { o[e.key.jsonKey] = e.value.jsonValue }
            return o
        case let .placeholder(p):
            if let v = p.numericValue { return v }
            let attrs = p.attributes
            if !attrs.isEmpty {
                var o: [String: Any] = [:]
                for (k, v) in attrs { o[k] = v.jsonValue }
                return o
            }
            return p.summary
        default: return summary(depth: 1)
        }
    }

    private var jsonKey: String {
        if case let .string(s) = self { return s }
        return summary(depth: 0)
    }
}
