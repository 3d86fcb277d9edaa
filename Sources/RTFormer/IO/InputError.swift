import Foundation

/// A malformed, truncated or unsupported input file.
///
/// Every reader in `IO/` throws this one type, so callers can print a uniform message of the form
/// `<file>: <format>, <location>: expected <what>, found <what>` — e.g.
/// `cifar10_test_first10.bin: CIFAR-10 batch, record 9 (byte 27657): expected 3073 bytes, found 1000`.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (path as given by the caller).
    public var file: String
    /// The format being read when the problem was found ("PNG", "AEDAT 4.0", "PyTorch pickle", ...).
    public var format: String
    /// Where in the file: a record, packet, key or byte offset; empty when the whole file is meant.
    public var location: String
    /// What the reader expected there.
    public var expected: String
    /// What it found instead.
    public var found: String

    /// Creates an error; see the properties for the meaning of each part.
    public init(file: String, format: String, location: String = "", expected: String, found: String) {
        self.file = file
        self.format = format
        self.location = location
        self.expected = expected
        self.found = found
    }

    /// The one-line message; every part is escaped (`Printable.escape`), as keys, names and
    /// bytes quoted from a file may hold control characters.
    public var description: String {
        let at = location.isEmpty ? "" : ", \(Printable.escape(location))"
        return "\(Printable.escape(file)): \(Printable.escape(format))\(at): expected \(Printable.escape(expected, limit: 400)), "
            + "found \(Printable.escape(found, limit: 600))"
    }
}

/// Whole-file reads shared by the readers: one place turns an OS error into an `InputError`.
/// Reading whole files with plain-word errors.
public enum InputBytes {
    /// The bytes of `path`.
    /// - Throws: `InputError` naming the file when it cannot be read.
    static func read(_ path: String, format: String) throws -> [UInt8] {
        try [UInt8](readData(path, format: format))
    }

    /// The contents of `path`, mapped; the error says in plain words why it cannot be read
    /// (no such file, a directory, no permission).
    /// - Throws: `InputError` whose `found` is that reason.
    public static func readData(_ path: String, format: String) throws -> Data {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw InputError(file: path, format: format, expected: "a readable file", found: "no such file")
        }
        if isDir.boolValue { throw InputError(file: path, format: format, expected: "a readable file", found: "a directory") }
        // Devices, FIFOs and sockets are refused before any read (`/dev/zero` never ends, a FIFO
        // blocks); `stat` follows symbolic links, so a link to a regular file is fine.
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            let kind: String
            switch info.st_mode & S_IFMT {
            case S_IFCHR: kind = "a character device"
            case S_IFBLK: kind = "a block device"
            case S_IFIFO: kind = "a FIFO (named pipe)"
            case S_IFSOCK: kind = "a socket"
            default: kind = "not a regular file"
            }
            throw InputError(file: path, format: format, expected: "a regular file", found: kind)
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw InputError(file: path, format: format, expected: "a readable file", found: "no permission to read it")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw InputError(file: path, format: format, expected: "a readable file", found: String(cString: strerror(errno)))
        }
    }
}

/// A bounds-checked little-endian reader over a byte array; every read past the end throws an
/// `InputError` that names the offset and what was being read.
struct ByteCursor {
    let bytes: [UInt8]
    var offset: Int
    let file: String
    let format: String

    init(_ bytes: [UInt8], offset: Int = 0, file: String, format: String) {
        self.bytes = bytes
        self.offset = offset
        self.file = file
        self.format = format
    }

    var remaining: Int { bytes.count - offset }

    func error(_ expected: String, found: String, at: Int? = nil) -> InputError {
        InputError(file: file, format: format, location: "byte \(at ?? offset)", expected: expected, found: found)
    }

    /// Throws unless `count` more bytes are available.
    func need(_ count: Int, for what: String) throws {
        guard count >= 0, count <= remaining else {
            throw error("\(count) bytes of \(what)", found: "\(max(0, remaining)) bytes left (file has \(bytes.count))")
        }
    }

    mutating func take(_ count: Int, for what: String) throws -> ArraySlice<UInt8> {
        try need(count, for: what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8(_ what: String) throws -> UInt8 {
        try need(1, for: what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint(_ size: Int, _ what: String) throws -> UInt64 {
        try need(size, for: what)
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += size
        return v
    }

    mutating func u16(_ what: String) throws -> UInt16 { UInt16(try uint(2, what)) }
    mutating func u32(_ what: String) throws -> UInt32 { UInt32(try uint(4, what)) }
    mutating func i32(_ what: String) throws -> Int32 { Int32(bitPattern: UInt32(try uint(4, what))) }
    mutating func i64(_ what: String) throws -> Int64 { Int64(bitPattern: try uint(8, what)) }

    /// Little-endian unsigned integer at an absolute offset, without moving the cursor.
    static func load(_ bytes: [UInt8], _ at: Int, _ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
