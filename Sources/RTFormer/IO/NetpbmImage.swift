/// Netpbm gray and colour maps: binary `P5` (PGM) / `P6` (PPM) and their ASCII forms `P2` / `P3`.
public enum NetpbmImage {
    /// Decodes a PGM/PPM of any size and any maxval (1...65535; 16-bit samples are big-endian, as
    /// the format specifies). Samples are rescaled to 0...255 as `round(v · 255 / maxval)`; gray
    /// is expanded to RGB. `#` comments in the header are skipped.
    /// - Parameter file: names the source in errors.
    /// - Throws: `InputError` (format "PPM/PGM") naming the byte offset: unknown magic, a missing or
    ///   non-numeric header field, maxval out of range, too few samples.
    public static func decode(_ bytes: [UInt8], file: String) throws -> RGBImage {
        let format = "PPM/PGM"
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"),
              let kind = [UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "5"), UInt8(ascii: "6")].firstIndex(of: bytes[1])
        else {
            throw InputError(file: file, format: format, location: "byte 0", expected: "magic P2, P3, P5 or P6",
                             found: "\(bytes.prefix(2).map(printable))")
        }
        let channels = (kind == 1 || kind == 3) ? 3 : 1
        let binary = kind >= 2
        var pos = 2
        func skipSpaceAndComments() {
            while pos < bytes.count {
                if bytes[pos] == UInt8(ascii: "#") {
                    while pos < bytes.count && bytes[pos] != 0x0A { pos += 1 }
                } else if isSpace(bytes[pos]) {
                    pos += 1
                } else { return }
            }
        }
        func number(_ what: String) throws -> Int {
            skipSpaceAndComments()
            let start = pos
            var v = 0
            while pos < bytes.count, bytes[pos] >= 0x30, bytes[pos] <= 0x39, v < 1 << 40 {
                v = v * 10 + Int(bytes[pos] - 0x30)
                pos += 1
            }
            guard pos > start else {
                throw InputError(file: file, format: format, location: "byte \(start)", expected: "a decimal \(what)",
                                 found: pos < bytes.count ? "byte 0x\(String(bytes[pos], radix: 16))" : "end of file")
            }
            return v
        }
        let width = try number("width"), height = try number("height"), maxval = try number("maxval")
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= 1 << 28 else {
            throw InputError(file: file, format: format, location: "header", expected: "a positive size up to 2^28 pixels",
                             found: "\(width)x\(height)")
        }
        guard (1...65535).contains(maxval) else {
            throw InputError(file: file, format: format, location: "header", expected: "maxval in 1...65535", found: "\(maxval)")
        }
        let count = width * height * channels
        var samples = [UInt8](repeating: 0, count: count)
        let scale = { (v: Int) -> UInt8 in
            UInt8((Double(min(v, maxval)) * 255 / Double(maxval)).rounded())
        }
        if binary {
            pos += 1   // exactly one whitespace byte separates maxval from the raster
            let size = maxval > 255 ? 2 : 1
            guard bytes.count - pos >= count * size else {
                throw InputError(file: file, format: format, location: "raster at byte \(pos)",
                                 expected: "\(count * size) bytes for \(width)x\(height)x\(channels)",
                                 found: "\(max(0, bytes.count - pos)) bytes")
            }
            for i in 0..<count {
                let v = size == 2 ? Int(bytes[pos + 2 * i]) << 8 | Int(bytes[pos + 2 * i + 1]) : Int(bytes[pos + i])
                samples[i] = maxval == 255 ? UInt8(v) : scale(v)
            }
        } else {
            for i in 0..<count { samples[i] = scale(try number("sample \(i)")) }
        }
        return samples.withUnsafeBufferPointer {
            RGBImage(interleaved: $0, width: width, height: height, channels: channels)
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }

    private static func printable(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "0x" + String(b, radix: 16)
    }
}
