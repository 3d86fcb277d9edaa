/// Which CIFAR binary layout a batch uses.
public enum CIFARVariant: String, Sendable, CaseIterable {
    /// 3,073-byte records: label byte, then 3,072 pixel bytes.
    case cifar10 = "CIFAR-10"
    /// 3,074-byte records: coarse label byte, fine label byte, then 3,072 pixel bytes.
    case cifar100 = "CIFAR-100"

    /// Bytes per record.
    public var recordSize: Int { self == .cifar10 ? 3073 : 3074 }
    /// Bytes before the pixels in each record.
    public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
    /// Class names in label order (CIFAR-100: the 100 fine classes).
    public var classNames: [String] { self == .cifar10 ? ClassNames.cifar10 : ClassNames.cifar100Fine }
}

/// One record of a CIFAR batch.
public struct CIFARRecord: Sendable, Equatable {
    /// 32×32 RGB pixels, planar (the record's own layout).
    public var image: RGBImage
    /// The label: CIFAR-10 class 0...9, or the CIFAR-100 fine class 0...99.
    public var label: Int
    /// `classNames[label]`.
    public var className: String
    /// CIFAR-100 only: the superclass 0...19.
    public var coarseLabel: Int?
    /// CIFAR-100 only: the superclass name.
    public var coarseClassName: String?
}

/// A CIFAR-10 or CIFAR-100 binary batch (`data_batch_N.bin`, `test_batch.bin`, `train.bin`, ...):
/// no header, N fixed-size records (layout in SOURCES.md "Formats").
public struct CIFARBatch: Sendable {
    /// The record layout the batch was read with.
    public var variant: CIFARVariant
    /// The records in file order (record i is at byte `i · variant.recordSize`).
    public var records: [CIFARRecord]

    /// Reads a batch. With `variant` nil the layout is chosen by size: a size that is a whole
    /// number of only one record size picks that one; if both divide, a file name containing
    /// "100" picks CIFAR-100, else CIFAR-10.
    /// - Throws: `InputError` naming the file and the first bad record and its byte offset: a
    ///   truncated last record, or a label out of range.
    public static func read(path: String, variant: CIFARVariant? = nil) throws -> CIFARBatch {
        try parse(InputBytes.read(path, format: "CIFAR batch"), file: path, variant: variant)
    }

    /// Parses batch bytes; see `read(path:variant:)`.
    public static func parse(_ bytes: [UInt8], file: String, variant: CIFARVariant? = nil) throws -> CIFARBatch {
        let v = variant ?? guessVariant(size: bytes.count, file: file)
        let format = "\(v.rawValue) batch"
        let size = v.recordSize
        guard !bytes.isEmpty else {
            throw InputError(file: file, format: format, expected: "at least one \(size)-byte record", found: "an empty file")
        }
        let full = bytes.count / size, rest = bytes.count % size
        guard rest == 0 else {
            throw InputError(file: file, format: format, location: "record \(full) (byte \(full * size))",
                             expected: "\(size) bytes (a whole number of records)",
                             found: "\(rest) bytes: the file (\(bytes.count) bytes) ends inside this record")
        }
        var records: [CIFARRecord] = []
        records.reserveCapacity(full)
        for r in 0..<full {
            let base = r * size
            let pixels = Array(bytes[(base + v.labelBytes)..<(base + size)])
            let image = RGBImage(width: 32, height: 32, pixels: pixels)
            switch v {
            case .cifar10:
                let label = Int(bytes[base])
                guard label < 10 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base))",
                                     expected: "a label in 0...9", found: "\(label)")
                }
                records.append(CIFARRecord(image: image, label: label, className: ClassNames.cifar10[label]))
            case .cifar100:
                let coarse = Int(bytes[base]), fine = Int(bytes[base + 1])
                guard coarse < 20 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base))",
                                     expected: "a coarse label in 0...19", found: "\(coarse)")
                }
                guard fine < 100 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base + 1))",
                                     expected: "a fine label in 0...99", found: "\(fine)")
                }
                records.append(CIFARRecord(image: image, label: fine, className: ClassNames.cifar100Fine[fine],
                                           coarseLabel: coarse, coarseClassName: ClassNames.cifar100Coarse[coarse]))
            }
        }
        return CIFARBatch(variant: v, records: records)
    }

    /// Checks every record's label bytes without decoding pixels.
    /// - Throws: `InputError` naming the first record (and byte) whose label is out of range.
    static func checkLabels(_ bytes: [UInt8], file: String, variant v: CIFARVariant) throws {
        let format = "\(v.rawValue) batch"
        for base in stride(from: 0, to: bytes.count - v.recordSize + 1, by: v.recordSize) {
            let r = base / v.recordSize
            switch v {
            case .cifar10:
                guard bytes[base] < 10 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base))",
                                     expected: "a label in 0...9", found: "\(bytes[base])")
                }
            case .cifar100:
                guard bytes[base] < 20 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base))",
                                     expected: "a coarse label in 0...19", found: "\(bytes[base])")
                }
                guard bytes[base + 1] < 100 else {
                    throw InputError(file: file, format: format, location: "record \(r) (byte \(base + 1))",
                                     expected: "a fine label in 0...99", found: "\(bytes[base + 1])")
                }
            }
        }
    }

    /// The layout a file of `size` bytes most plausibly has (see `read(path:variant:)`).
    public static func guessVariant(size: Int, file: String) -> CIFARVariant {
        let fits10 = size % 3073 == 0, fits100 = size % 3074 == 0
        if fits10 != fits100 { return fits10 ? .cifar10 : .cifar100 }
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return name.contains("100") ? .cifar100 : .cifar10
    }
}
