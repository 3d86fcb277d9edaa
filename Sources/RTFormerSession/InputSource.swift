import Foundation
import RTFormer

/// An input as read from a file, before it is encoded over T.
public struct LoadedInput: Sendable {
    /// What the status line shows, e.g. `cifar10_test_first10.bin#0`.
    public var name: String
    /// One sample: a static image `[C, H, W]` (repeated over T, SPEC §1) or frames `[T, C, H, W]`.
    public var sample: Tensor
    /// Class label, where the file has one.
    public var label: Int?
    /// Class names in index order, where known (CIFAR-10 names for CIFAR inputs).
    public var classNames: [String]?

    public init(name: String, sample: Tensor, label: Int? = nil, classNames: [String]? = nil) {
        self.name = name
        self.sample = sample
        self.label = label
        self.classNames = classNames
    }

    /// `[T, 1, C, H, W]`: a static image repeated over T, or the frames as they are.
    /// - Throws: `SessionError.inputShape` when frames do not have T timesteps.
    public func encoded(timesteps: Int) throws -> Tensor {
        if sample.rank == 3 {
            return Tensor(shape: [timesteps, 1] + sample.shape,
                          storage: Array([[Float]](repeating: sample.storage, count: timesteps).joined()))
        }
        guard sample.rank == 4, sample.shape[0] == timesteps else {
            throw SessionError.inputShape(input: name, found: sample.shape, expected: "[C, H, W] or [\(timesteps), C, H, W]")
        }
        return Tensor(shape: [timesteps, 1] + Array(sample.shape.dropFirst()), storage: sample.storage)
    }
}

/// Reads inputs for the session: the seam where the IO module's readers plug in.
public protocol InputSource: Sendable {
    /// Loads sample `index` (0 when nil) of the file at `path`.
    /// - Throws: an error naming the file and what was wrong with it.
    func load(path: String, index: Int?) throws -> LoadedInput
}

/// CIFAR-10 class names in index order.
let cifar10ClassNames = BundledSamples.cifar10ClassNames

/// The readers available today: safetensors files with an `input` tensor `[B, C, H, W]` (already
/// normalised, DESIGN §6; optional `labels` `[B]`), and CIFAR-10 binary records
/// (`CIFARBinaryInput`). To be replaced by the IO module's `InputFile` readers.
public struct BuiltinInputSource: InputSource {
    public init() {}

    public func load(path: String, index: Int?) throws -> LoadedInput {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { return try Self.safetensors(path: path, index: index ?? 0) }
        if lower.hasSuffix(".bin") { return try CIFARBinaryInput.load(path: path, index: index ?? 0) }
        throw SessionError.unsupportedInput(path: path, expected: "a .safetensors file with an `input` tensor, or a CIFAR-10 .bin file")
    }

    /// Sample `index` of a safetensors `input` `[B, C, H, W]` (or `[T, B, C, H, W]` frames).
    static func safetensors(path: String, index: Int) throws -> LoadedInput {
        let file = try Safetensors.read(path: path)
        guard let x = file.tensors["input"] else {
            throw SessionError.missingKey(file: path, key: "input", found: Array(file.keys.prefix(8)))
        }
        let batchAxis: Int
        switch x.rank {
        case 4: batchAxis = 0
        case 5: batchAxis = 1
        default: throw SessionError.inputShape(input: path, found: x.shape, expected: "[B, C, H, W] or [T, B, C, H, W]")
        }
        let b = x.shape[batchAxis]
        guard index < b else { throw SessionError.indexOutOfRange(input: path, index: index, count: b) }
        let sample: Tensor
        if batchAxis == 0 {
            sample = x.slice(index)
        } else {
            sample = Tensor.stack((0..<x.shape[0]).map { x.slice($0).slice(index) })
        }
        var label: Int? = nil
        if let labels = file.tensors["labels"], labels.rank == 1, index < labels.count { label = Int(labels.storage[index]) }
        let names = (x.shape[x.rank - 3] == 3 && label != nil) ? cifar10ClassNames : nil
        return LoadedInput(name: URL(fileURLWithPath: path).lastPathComponent + "#\(index)", sample: sample, label: label,
                           classNames: names)
    }
}
