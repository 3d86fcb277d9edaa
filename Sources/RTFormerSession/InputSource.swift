import Foundation
import RTFormer

/// An input as the session runs it: one sample encoded over T, with what is known about it.
public struct SessionInput: Sendable {
    /// What the status line shows, e.g. `cifar10_test_first10.bin#0`.
    public var name: String
    /// `[T, 1, C, H, W]`: a static image repeated over T, or T event frames.
    public var encoded: Tensor
    /// Class label, where the file has one.
    public var label: Int?
    /// Class names in index order, where known (CIFAR-10/100).
    public var classNames: [String]?
    /// How the file was read and encoded (crop, resize, normalisation, event binning).
    public var summary: String

    public init(name: String, encoded: Tensor, label: Int? = nil, classNames: [String]? = nil, summary: String = "") {
        self.name = name
        self.encoded = encoded
        self.label = label
        self.classNames = classNames
        self.summary = summary
    }
}

/// Reads and encodes inputs for the session (the seam a test or another reader plugs into).
public protocol InputSource: Sendable {
    /// Loads sample `index` (0 when nil) of the file at `path` and encodes it for a model.
    /// - Parameters:
    ///   - timesteps: T of the model.
    ///   - size: the model's image side (inputs are `size × size`).
    /// - Returns: the encoded sample, `[T, 1, C, size, size]`.
    /// - Throws: the reader's error, naming the file and what was wrong with it.
    func load(path: String, index: Int?, timesteps: Int, size: Int) throws -> SessionInput

    /// The same with explicit encoding options (`encode`); the default ignores them.
    func load(path: String, index: Int?, timesteps: Int, size: Int, encoding: InputEncodingOptions) throws -> SessionInput
}

extension InputSource {
    public func load(path: String, index: Int?, timesteps: Int, size: Int, encoding: InputEncodingOptions) throws -> SessionInput {
        try load(path: path, index: index, timesteps: timesteps, size: size)
    }
}

/// The engine's readers (`InputFile`: CIFAR-10/100 batches, PNG, JPEG, PPM, event files, `.npy`,
/// `.pth`, safetensors) and encoders (`InputEncoder`, SPEC R19 normalisation).
public struct FileInputSource: InputSource {
    public init() {}

    public func load(path: String, index: Int?, timesteps: Int, size: Int) throws -> SessionInput {
        try load(path: path, index: index, timesteps: timesteps, size: size, encoding: InputEncodingOptions())
    }

    public func load(path: String, index: Int?, timesteps: Int, size: Int, encoding: InputEncodingOptions) throws -> SessionInput {
        let loaded = BundledResources.namingDigits(try InputFile.load(path: path, index: index ?? 0, format: encoding.format), path: path)
        var input = try Self.encode(loaded, name: Printable.escape(URL(fileURLWithPath: path).lastPathComponent, limit: 80), file: path, index: index,
                                    timesteps: timesteps, size: size, encoding: encoding)
        if URL(fileURLWithPath: path).lastPathComponent == BundledResources.digitsTest { input.classNames = ClassNames.digits }
        // Tensor files carry no label through the reader; the fixtures keep them under `labels`.
        if loaded.format == .safetensors, input.label == nil, let f = try? Safetensors.read(path: path),
           let labels = f.tensors["labels"], labels.rank == 1, (index ?? 0) < labels.count {
            input.label = Int(labels.storage[index ?? 0])
            if input.encoded.shape[2] == 3 { input.classNames = ClassNames.cifar10 }
        }
        return input
    }

    /// Encodes a decoded input as one sample `[T, 1, C, size, size]`.
    static func encode(_ loaded: LoadedInput, name: String, file: String, index: Int?, timesteps: Int, size: Int,
                       encoding: InputEncodingOptions = InputEncodingOptions()) throws -> SessionInput {
        let enc = try InputEncoder.encode(loaded, file: file, timesteps: timesteps, size: size, splitBy: encoding.splitBy,
                                          stats: encoding.stats)
        var x = enc.input
        if x.shape[1] > 1 {
            // A tensor batch read whole: keep the one sample the session runs.
            let i = index ?? 0
            guard i < x.shape[1] else { throw SessionError.indexOutOfRange(input: file, index: i, count: x.shape[1]) }
            x = Tensor.stack((0..<x.shape[0]).map { Tensor(shape: [1] + Array(x.shape.dropFirst(2)), storage: x.slice($0).slice(i).storage) })
        }
        var names: [String]? = nil
        switch loaded.format {
        case .cifar10: names = CIFARVariant.cifar10.classNames
        case .cifar100: names = CIFARVariant.cifar100.classNames
        default: break
        }
        return SessionInput(name: name + (loaded.recordCount > 1 ? "#\(index ?? 0)" : ""), encoded: x, label: enc.labels.first,
                            classNames: names, summary: enc.summary)
    }
}

/// The bundled CIFAR-10 test images 0–9 (`BundledSamples`): what `input default [index N]` loads.
public struct BundledInputSource: InputSource {
    public init() {}

    /// Record `index` (0…9) of the bundled images; `path` is ignored.
    public func load(path: String, index: Int?, timesteps: Int, size: Int) throws -> SessionInput {
        try load(path: path, index: index, timesteps: timesteps, size: size, encoding: InputEncodingOptions())
    }

    public func load(path: String, index: Int?, timesteps: Int, size: Int, encoding: InputEncodingOptions) throws -> SessionInput {
        let loaded = try InputFile.decode(BundledSamples.cifar10TestRecords, path: BundledSamples.cifar10Name, index: index ?? 0,
                                          format: .cifar10)
        return try FileInputSource.encode(loaded, name: "bundled CIFAR-10 test", file: BundledSamples.cifar10Name, index: index ?? 0,
                                          timesteps: timesteps, size: size, encoding: encoding)
    }
}
