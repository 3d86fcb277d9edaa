/// The 40-bit event encoding of N-MNIST `.bin` files and SLAYER `.bs2` files: no header, 5 bytes
/// per event — x (u8), y (u8), polarity (bit 7 of byte 2) and a 23-bit big-endian µs timestamp
/// (`(byte2 & 0x7F) << 16 | byte3 << 8 | byte4`). Layout in SOURCES.md "Formats".
public enum Events40Bit {
    /// Decodes a 40-bit event file.
    ///
    /// The format has no sensor size. Without `sensorSize`, the size is inferred from the largest
    /// coordinates: up to 34×34 → 34×34 (N-MNIST), up to 128×128 → 128×128 (DVS128), else the
    /// bounding size.
    /// - Throws: `InputError` (format "40-bit events") when the size is not a multiple of 5 (naming
    ///   the truncated event and its byte offset), an event lies outside a given `sensorSize`, or
    ///   the timestamps are out of order (`EventStream.validate`: bytes that are not events).
    public static func decode(_ bytes: [UInt8], file: String, sensorSize: (width: Int, height: Int)? = nil) throws -> EventStream {
        let format = "40-bit events"
        let n = bytes.count / 5
        guard bytes.count % 5 == 0 else {
            throw InputError(file: file, format: format, location: "event \(n) (byte \(5 * n))",
                             expected: "5 bytes (file size a multiple of 5)",
                             found: "\(bytes.count % 5) bytes: the file (\(bytes.count) bytes) ends inside this event")
        }
        var maxX = 0, maxY = 0
        for i in 0..<n {
            maxX = max(maxX, Int(bytes[5 * i]))
            maxY = max(maxY, Int(bytes[5 * i + 1]))
        }
        var stream: EventStream
        if let s = sensorSize {
            guard maxX < s.width, maxY < s.height else {
                let bad = (0..<n).first { Int(bytes[5 * $0]) >= s.width || Int(bytes[5 * $0 + 1]) >= s.height } ?? 0
                throw InputError(file: file, format: format, location: "event \(bad) (byte \(5 * bad))",
                                 expected: "x < \(s.width), y < \(s.height)",
                                 found: "x \(bytes[5 * bad]), y \(bytes[5 * bad + 1])")
            }
            stream = EventStream(sensorWidth: s.width, sensorHeight: s.height, sensorSizeSource: "given")
        } else if maxX < 34 && maxY < 34 {
            stream = EventStream(sensorWidth: 34, sensorHeight: 34, sensorSizeSource: "inferred: coordinates fit N-MNIST 34x34")
        } else if maxX < 128 && maxY < 128 {
            stream = EventStream(sensorWidth: 128, sensorHeight: 128, sensorSizeSource: "inferred: coordinates fit DVS128")
        } else {
            stream = EventStream(sensorWidth: maxX + 1, sensorHeight: maxY + 1, sensorSizeSource: "inferred from max coordinates")
        }
        stream.reserve(n)
        for i in 0..<n {
            let b = 5 * i
            let t = Int64(bytes[b + 2] & 0x7F) << 16 | Int64(bytes[b + 3]) << 8 | Int64(bytes[b + 4])
            stream.append(t: t, x: UInt16(bytes[b]), y: UInt16(bytes[b + 1]), polarity: bytes[b + 2] >> 7)
        }
        try stream.validate(file: file, format: format)
        return stream
    }
}
