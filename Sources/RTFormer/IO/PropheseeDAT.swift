/// Prophesee / ATIS `.dat` event files (DAT v2, e.g. N-CARS): ASCII header lines starting with
/// `%`, then one byte event type (0x00 = 2D CD events) and one byte event size (8), then 8-byte
/// events: u32 LE timestamp (µs) and u32 LE `d` with x = d & 0x3FFF, y = (d >> 14) & 0x3FFF,
/// polarity = (d >> 28) & 0xF. Layout in SOURCES.md "Formats".
public enum PropheseeDAT {
    /// Decodes a DAT file. The sensor size comes from `% Width` / `% Height` header lines when
    /// present, else from the largest coordinates. Polarity values above 1 are reported as 1.
    /// - Throws: `InputError` (format "Prophesee DAT"): no `%` header, an event type other than
    ///   0x00 or size other than 8, a byte count that ends inside an event (naming it), a header
    ///   size outside 1...65536 per side, an event outside it, or timestamps out of order
    ///   (`EventStream.validate`).
    public static func decode(_ bytes: [UInt8], file: String) throws -> EventStream {
        let format = "Prophesee DAT"
        var pos = 0
        var width: Int?, height: Int?
        guard bytes.first == UInt8(ascii: "%") else {
            throw InputError(file: file, format: format, location: "byte 0", expected: "a '%' header line",
                             found: bytes.isEmpty ? "an empty file" : "byte 0x\(String(bytes[0], radix: 16))")
        }
        while pos < bytes.count && bytes[pos] == UInt8(ascii: "%") {
            let start = pos
            while pos < bytes.count && bytes[pos] != 0x0A { pos += 1 }
            let line = String(decoding: bytes[start..<pos], as: UTF8.self)
            pos += 1
            let words = line.dropFirst().split(separator: " ")
            if words.count >= 2, let v = Int(words[1].prefix(20)) {
                if words[0].lowercased() == "width" { width = v }
                if words[0].lowercased() == "height" { height = v }
            }
        }
        guard bytes.count - pos >= 2 else {
            throw InputError(file: file, format: format, location: "byte \(pos)", expected: "event type and size bytes after the header",
                             found: "end of file")
        }
        let type = bytes[pos], size = bytes[pos + 1]
        guard type == 0, size == 8 else {
            throw InputError(file: file, format: format, location: "byte \(pos)", expected: "event type 0x00 (CD) of size 8",
                             found: "type 0x\(String(type, radix: 16)), size \(size)")
        }
        pos += 2
        let n = (bytes.count - pos) / 8
        guard (bytes.count - pos) % 8 == 0 else {
            throw InputError(file: file, format: format, location: "event \(n) (byte \(pos + 8 * n))",
                             expected: "8 bytes per event", found: "\((bytes.count - pos) % 8) bytes at the end of the file")
        }
        var ts = [Int64](), xs = [UInt16](), ys = [UInt16](), ps = [UInt8]()
        ts.reserveCapacity(n); xs.reserveCapacity(n); ys.reserveCapacity(n); ps.reserveCapacity(n)
        var maxX = 0, maxY = 0
        for i in 0..<n {
            let b = pos + 8 * i
            let t = UInt32(ByteCursor.load(bytes, b, 4))
            let d = UInt32(ByteCursor.load(bytes, b + 4, 4))
            let x = Int(d & 0x3FFF), y = Int((d >> 14) & 0x3FFF)
            maxX = max(maxX, x)
            maxY = max(maxY, y)
            ts.append(Int64(t)); xs.append(UInt16(x)); ys.append(UInt16(y)); ps.append((d >> 28) & 0xF > 0 ? 1 : 0)
        }
        var stream: EventStream
        if width != nil || height != nil {
            // A header size is checked, never trusted: bounded, and every event must lie inside.
            guard let width, let height else {
                throw InputError(file: file, format: format, location: "header", expected: "both '% Width' and '% Height' lines",
                                 found: width == nil ? "only Height" : "only Width")
            }
            try EventStream.checkSensor(width: width, height: height, file: file, format: format, location: "header")
            stream = EventStream(sensorWidth: width, sensorHeight: height, sensorSizeSource: "file header")
        } else {
            stream = EventStream(sensorWidth: maxX + 1, sensorHeight: maxY + 1, sensorSizeSource: "inferred from max coordinates")
        }
        stream.t = ts; stream.x = xs; stream.y = ys; stream.polarity = ps
        try stream.validate(file: file, format: format)
        return stream
    }
}
