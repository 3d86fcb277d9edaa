/// How `InputFile` and `CheckpointFile` decide a file's format: by magic bytes, extension and
/// structure together, never by byte count alone.
///
/// 1. A format with a signature (PNG, JPEG, PPM/PGM, `.npy`, PyTorch zip or legacy pickle,
///    AEDAT 4.0, a safetensors header, a Prophesee `%` header) is taken when its signature is
///    there; the reader then validates the rest.
/// 2. Headerless formats are taken only when their structure holds over the whole file:
///    CIFAR-10/100 (a whole number of records, every label in range), 40-bit events (a whole
///    number of events, timestamps in time order within `EventStream.timeOrderTolerance`).
///    Text (printable characters and line breaks only) is never taken for a headerless format.
///    A `.bs2` name tries events first; a name containing "100" tries CIFAR-100 before CIFAR-10.
/// 3. When nothing fits, one `InputError` lists each format tried and why it was refused.
public enum FormatRecognition {
    /// The names `--format` accepts, with the format each selects.
    public static let optionNames: [(name: String, format: InputFormat)] = [
        ("cifar10", .cifar10), ("cifar100", .cifar100), ("png", .png), ("jpeg", .jpeg), ("ppm", .netpbm),
        ("events40", .events40Bit), ("aedat4", .aedat4), ("dat", .prophesee), ("npy", .npy),
        ("safetensors", .safetensors), ("pth", .pytorch),
    ]

    /// The format named `name` (one of `optionNames`, case-insensitive; `jpg`, `pgm`, `pt`,
    /// `bs2` as aliases).
    public static func format(named name: String) -> InputFormat? {
        let aliases = ["jpg": "jpeg", "pgm": "ppm", "pt": "pth", "bs2": "events40", "prophesee": "dat"]
        let key = name.lowercased()
        return optionNames.first { $0.name == (aliases[key] ?? key) }?.format
    }

    /// The formats recognised by a signature, with it (see the type's rule 1).
    static func signatureFormat(_ bytes: [UInt8]) -> InputFormat? {
        func starts(_ s: [UInt8]) -> Bool { bytes.starts(with: s) }
        if starts(PNGImage.signature) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "P"), Array("2356".utf8).contains(bytes[1]),
           [0x20, 0x09, 0x0A, 0x0D].contains(bytes[2]) { return .netpbm }
        if starts(NumpyArray.magic) { return .npy }
        if TorchFile.isZip(bytes) || TorchFile.isLegacy(bytes) { return .pytorch }
        if starts(AEDAT4File.magic) { return .aedat4 }
        if looksLikeSafetensors(bytes) { return .safetensors }
        if starts(Array("% ".utf8)) || starts(Array("%\n".utf8)) { return .prophesee }
        return nil
    }

    /// A u64 little-endian header length within the file, followed by `{`.
    public static func looksLikeSafetensors(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > 9 else { return false }
        let n = ByteCursor.load(bytes, 0, 8)
        return n > 1 && n <= UInt64(bytes.count - 8) && bytes[8] == UInt8(ascii: "{")
    }

    /// True when `bytes` are text: no NUL, no control character other than tab, CR, LF and
    /// form feed, and valid UTF-8 (checked on the first 64 KiB).
    public static func isText(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(65536)
        guard !head.isEmpty else { return false }
        for b in head where b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C || b == 0x7F { return false }
        // A cut in the middle of a multi-byte character at the 64 KiB boundary is still text.
        var decoder = UTF8()
        var it = head.makeIterator()
        var valid = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: valid += 1; continue
            case .emptyInput: return true
            case .error: return head.count == 65536 && valid > 0 && it.next() == nil
            }
        }
    }

    /// The format of `bytes` (see the type's rules).
    /// - Throws: `InputError` (format "input file") listing each format tried and why it was refused.
    public static func recognise(_ bytes: [UInt8], path: String) throws -> InputFormat {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.contains(".") ? (name.split(separator: ".").last.map { $0.lowercased() } ?? "") : ""
        guard !bytes.isEmpty else {
            throw InputError(file: path, format: "input file", expected: "an input (image, events, dataset or tensor)", found: "an empty file")
        }
        if let f = signatureFormat(bytes) { return f }
        if bytes.starts(with: Array("#!AER-DAT".utf8)) {
            throw InputError(file: path, format: "AEDAT", location: "byte 0", expected: "AEDAT 4.0 (versions 2 and 3 are not supported)",
                             found: "'" + Printable.bytes(bytes.prefix(12)) + "'")
        }
        var refusals: [String] = []
        let signed = ["png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "ppm": "PPM", "pgm": "PGM", "npy": ".npy",
                      "safetensors": "safetensors", "pth": "PyTorch", "pt": "PyTorch", "aedat4": "AEDAT 4.0", "dat": "Prophesee DAT"]
        if let kind = signed[ext] {
            refusals.append("\(kind) (named .\(Printable.escape(ext, limit: 12)) but without the \(kind) signature)")
        } else {
            refusals.append("PNG, JPEG, PPM/PGM, .npy, PyTorch, AEDAT 4.0, safetensors, Prophesee DAT (no signature)")
        }
        if isText(bytes) {
            refusals.append("CIFAR and 40-bit events (the file is text)")
        } else {
            var order: [InputFormat] = name.contains("100") ? [.cifar100, .cifar10, .events40Bit] : [.cifar10, .cifar100, .events40Bit]
            if ext == "bs2" { order = [.events40Bit, .cifar10, .cifar100] }
            for f in order {
                if let why = headerlessRefusal(f, bytes, path: path) {
                    refusals.append("\(f == .events40Bit ? "40-bit events" : f == .cifar10 ? "CIFAR-10" : "CIFAR-100") (\(why))")
                } else {
                    return f
                }
            }
        }
        throw InputError(file: path, format: "input file", location: "\(bytes.count) bytes starting '\(Printable.bytes(bytes.prefix(8)))'",
                         expected: "a supported format (--format names one)", found: "none fits: tried " + refusals.joined(separator: "; "))
    }

    /// Nil when `bytes` hold the headerless format `f` over the whole file; else why not.
    static func headerlessRefusal(_ f: InputFormat, _ bytes: [UInt8], path: String) -> String? {
        switch f {
        case .cifar10, .cifar100:
            let v: CIFARVariant = f == .cifar10 ? .cifar10 : .cifar100
            guard bytes.count % v.recordSize == 0 else {
                return "\(bytes.count) bytes is not a whole number of \(v.recordSize)-byte records"
            }
            do { _ = try CIFARBatch.checkLabels(bytes, file: path, variant: v) } catch let e as InputError {
                return "\(e.location): \(e.expected), found \(e.found)"
            } catch { return "\(error)" }
            return nil
        case .events40Bit:
            do { _ = try Events40Bit.decode(bytes, file: path) } catch let e as InputError {
                return "\(e.location.isEmpty ? "" : e.location + ": ")expected \(e.expected), found \(e.found)"
            } catch { return "\(error)" }
            return nil
        default:
            return "not a headerless format"
        }
    }

    /// Throws unless `bytes` start like a weights file (safetensors; PyTorch is tested before),
    /// saying what the file looks like instead (a PNG image, text, …).
    /// - Throws: `InputError` (format "checkpoint").
    public static func requireWeights(_ bytes: [UInt8], file: String) throws {
        guard !looksLikeSafetensors(bytes) else { return }
        let looks: String
        if bytes.isEmpty {
            looks = "an empty file"
        } else if let f = signatureFormat(bytes) {
            looks = "a \(f.rawValue) file (by its signature)"
        } else if isText(bytes) {
            looks = "text ('\(Printable.escape(String(decoding: bytes.prefix(24), as: UTF8.self), limit: 24))')"
        } else {
            looks = "\(bytes.count) bytes starting '\(Printable.bytes(bytes.prefix(8)))'"
        }
        throw InputError(file: file, format: "checkpoint",
                         expected: "safetensors (a u64 header length within the file, then '{') or PyTorch (zip or legacy pickle)",
                         found: looks)
    }
}
