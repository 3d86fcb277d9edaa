import Foundation
import RTFormer

/// CIFAR-10 binary records (3,073 bytes: label, then R, G, B planes of 32×32 uint8, row-major),
/// normalised per SPEC R19. A stopgap until the IO module's CIFAR reader is in main; keep it in
/// this one file so it can be swapped.
public enum CIFARBinaryInput {
    /// Bytes per CIFAR-10 record.
    public static let recordSize = 3073
    /// SPEC R19 CIFAR-10 mean and std per channel.
    static let mean = [0.4914, 0.4822, 0.4465]
    static let std = [0.2470, 0.2435, 0.2616]

    /// Record `index` of a CIFAR-10 `.bin` file as a normalised `[3, 32, 32]` image.
    /// - Throws: `SessionError.unreadable` when the file cannot be read or is not a whole number of
    ///   records; `SessionError.indexOutOfRange` when `index` is past the last record.
    public static func load(path: String, index: Int) throws -> LoadedInput {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SessionError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try load(bytes: [UInt8](data), name: URL(fileURLWithPath: path).lastPathComponent, path: path, index: index)
    }

    /// Record `index` of CIFAR-10 records held in memory (`name` is shown, `path` named in errors).
    /// - Throws: as `load(path:index:)`.
    public static func load(bytes data: [UInt8], name: String, path: String, index: Int) throws -> LoadedInput {
        guard data.count % recordSize == 0, !data.isEmpty else {
            throw SessionError.unreadable(path: path, reason: "\(data.count) bytes is not a multiple of the \(recordSize)-byte CIFAR-10 record")
        }
        let count = data.count / recordSize
        guard index < count else { throw SessionError.indexOutOfRange(input: path, index: index, count: count) }
        let bytes = Array(data[(index * recordSize)..<((index + 1) * recordSize)])
        var pixels = [Float](repeating: 0, count: 3 * 1024)
        for c in 0..<3 {
            for i in 0..<1024 {
                // Float64, rounded once to Float32 (R19).
                pixels[c * 1024 + i] = Float((Double(bytes[1 + c * 1024 + i]) / 255 - mean[c]) / std[c])
            }
        }
        return LoadedInput(name: name + "#\(index)",
                           sample: Tensor(shape: [3, 32, 32], storage: pixels), label: Int(bytes[0]), classNames: cifar10ClassNames)
    }
}

/// The bundled CIFAR-10 test images 0–9 (`BundledSamples`): what `input default [index N]` loads.
public struct BundledInputSource: InputSource {
    public init() {}

    /// Record `index` (0…9) of the bundled images; `path` is ignored.
    public func load(path: String, index: Int?) throws -> LoadedInput {
        try CIFARBinaryInput.load(bytes: BundledSamples.cifar10TestRecords, name: "bundled CIFAR-10 test", path: BundledSamples.cifar10Name,
                                  index: index ?? 0)
    }
}
