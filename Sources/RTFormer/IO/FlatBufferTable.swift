/// Just enough of the FlatBuffers wire format to read AEDAT 4 headers and packets: tables found
/// through their vtables, scalar fields, strings and vectors. Every offset is bounds-checked and a
/// bad one throws an `InputError` naming `what` is being read.
struct FlatBufferTable {
    let bytes: [UInt8]
    /// Absolute position of the table in `bytes`.
    let position: Int
    let file: String
    let format: String
    let what: String

    /// The root table of a buffer that starts at `base` (its first word is the root offset).
    init(root bytes: [UInt8], base: Int, file: String, format: String, what: String) throws {
        guard base >= 0, base + 8 <= bytes.count else {
            throw InputError(file: file, format: format, location: what, expected: "a flatbuffer of at least 8 bytes",
                             found: "\(max(0, bytes.count - base)) bytes")
        }
        let root = base + Int(ByteCursor.load(bytes, base, 4))
        self.bytes = bytes
        self.position = root
        self.file = file
        self.format = format
        self.what = what
        try check(root, 4, "root table")
        let vt = try vtable()
        try check(vt, 4, "vtable")
    }

    func check(_ at: Int, _ size: Int, _ part: String) throws {
        guard at >= 0, size >= 0, at <= bytes.count - size else {
            throw InputError(file: file, format: format, location: what,
                             expected: "\(part) inside the \(bytes.count)-byte buffer", found: "offset \(at) (+\(size) bytes)")
        }
    }

    private func vtable() throws -> Int {
        let soffset = Int(Int32(bitPattern: UInt32(ByteCursor.load(bytes, position, 4))))
        return position - soffset
    }

    /// Absolute position of field `index`, or nil when the field is absent (default value).
    func field(_ index: Int) throws -> Int? {
        let vt = try vtable()
        let vtSize = Int(ByteCursor.load(bytes, vt, 2))
        let slot = 4 + 2 * index
        guard slot + 2 <= vtSize else { return nil }
        try check(vt + slot, 2, "vtable slot \(index)")
        let off = Int(ByteCursor.load(bytes, vt + slot, 2))
        return off == 0 ? nil : position + off
    }

    /// Little-endian integer field of `size` bytes, or `defaultValue` when absent.
    func integer(_ index: Int, size: Int, defaultValue: UInt64 = 0) throws -> UInt64 {
        guard let at = try field(index) else { return defaultValue }
        try check(at, size, "field \(index)")
        return ByteCursor.load(bytes, at, size)
    }

    /// Start of the elements and the element count of a vector (or string) field; nil when absent.
    func vector(_ index: Int, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let at = try field(index) else { return nil }
        try check(at, 4, "offset of field \(index)")
        let target = at + Int(ByteCursor.load(bytes, at, 4))
        try check(target, 4, "length of field \(index)")
        let count = Int(ByteCursor.load(bytes, target, 4))
        try check(target + 4, count * elementSize, "\(count) elements of field \(index)")
        return (target + 4, count)
    }

    /// A string field decoded as UTF-8; nil when absent.
    func string(_ index: Int) throws -> String? {
        guard let (start, count) = try vector(index, elementSize: 1) else { return nil }
        return String(decoding: bytes[start..<(start + count)], as: UTF8.self)
    }
}
