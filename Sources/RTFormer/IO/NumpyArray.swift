import Foundation

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
public enum NumpyArray {
    /// The 6-byte magic `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Reads a C-order array of dtype `<f4`, `<f8`, `<f2`, `<i8`, `<i4`, `<i2`, `|i1`, `|u1` or
    /// `|b1` into Float32 (Float64 rounded once; integers exact up to 2^24).
    /// - Returns: the tensor (shape as stored; `()` gives a 0-d tensor) and the dtype string.
    /// - Throws: `InputError` (format "NumPy .npy") naming the byte offset: bad magic or version,
    ///   a header that is not the expected dict literal, Fortran order (refused: transpose it in
    ///   NumPy with `np.ascontiguousarray`), big-endian or other unsupported dtypes, or too little data.
    public static func decode(_ bytes: [UInt8], file: String) throws -> (tensor: Tensor, dtype: String) {
        let format = "NumPy .npy"
        guard bytes.starts(with: magic) else {
            throw InputError(file: file, format: format, location: "byte 0", expected: "magic \\x93NUMPY",
                             found: "'" + Printable.bytes(bytes.prefix(6)) + "'")
        }
        guard bytes.count >= 10 else {
            throw InputError(file: file, format: format, location: "byte 6", expected: "a version and header length (10 bytes in all)",
                             found: "\(bytes.count) bytes: the file ends there")
        }
        let major = bytes[6]
        var cursor = ByteCursor(bytes, offset: 8, file: file, format: format)
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try cursor.u16("header length"))
        case 2, 3: headerLength = Int(try cursor.u32("header length"))
        default:
            throw InputError(file: file, format: format, location: "byte 6", expected: "format version 1, 2 or 3",
                             found: "version \(major).\(bytes[7])")
        }
        let headerStart = cursor.offset
        let header = String(decoding: try cursor.take(headerLength, for: "the header dict"), as: UTF8.self)
        func field(_ key: String) throws -> Substring {
            guard let r = header.range(of: "'\(key)':") else {
                throw InputError(file: file, format: format, location: "header at byte \(headerStart)",
                                 expected: "key '\(key)'", found: header.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return header[r.upperBound...].drop { $0 == " " }
        }
        let descrField = try field("descr")
        let descr = String(descrField.dropFirst().prefix { $0 != "'" && $0 != "\"" })
        let types: [String: ScalarType] = [
            "<f4": .float32, "<f8": .float64, "<f2": .float16, "<i8": .int64, "<i4": .int32, "<i2": .int16,
            "|i1": .int8, "<i1": .int8, "|u1": .uint8, "<u1": .uint8, "|b1": .bool, "<b1": .bool,
        ]
        guard let type = types[descr] else {
            throw InputError(file: file, format: format, location: "header 'descr'",
                             expected: "one of <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1 (little-endian)", found: "'\(descr)'")
        }
        let fortran = try field("fortran_order")
        if fortran.hasPrefix("True") {
            throw InputError(file: file, format: format, location: "header 'fortran_order'",
                             expected: "C order (fortran_order False; use np.ascontiguousarray before saving)", found: "True")
        }
        let shapeField = try field("shape")
        guard shapeField.first == "(", let close = shapeField.firstIndex(of: ")") else {
            throw InputError(file: file, format: format, location: "header 'shape'", expected: "a tuple of integers",
                             found: String(shapeField.prefix(40)))
        }
        var shape: [Int] = []
        for part in shapeField[shapeField.index(after: shapeField.startIndex)..<close].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let d = Int(trimmed.hasSuffix("L") ? String(trimmed.dropLast()) : trimmed), d >= 0 else {
                throw InputError(file: file, format: format, location: "header 'shape'", expected: "non-negative integers",
                                 found: "'\(trimmed)'")
            }
            shape.append(d)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (m, o) = acc.0.multipliedReportingOverflow(by: d)
            return (m, acc.1 || o)
        }
        guard !overflow, count <= Int.max / 8 else {
            throw InputError(file: file, format: format, location: "header 'shape'", expected: "a shape of fewer than 2^60 elements",
                             found: "\(shape)")
        }
        try cursor.need(count * type.size, for: "\(shape) elements of \(descr)")
        let values = type.decode(bytes, base: cursor.offset, count: count)
        return (Tensor(shape: shape, storage: values), descr)
    }
}
