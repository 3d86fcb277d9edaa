import Foundation
import RTFormer

/// An input as the session runs it: one sample encoded over T, with what is known about it.
public struct SessionInput: Sendable {
    /// What the status line shows, e.g. `cifar10_test_first10.bin#0`.
    public var name: String
    /// `[T, 1, C, H, W]`: a static image repeated over T, or T event frames (`kind` says which).
    public var encoded: Tensor
    /// What `encoded` is over time; the twins start on it with this kind.
    public var kind: InputKind
    /// Class label, where the file has one.
    public var label: Int?
    /// Class names in index order, where known (CIFAR-10/100).
    public var classNames: [String]?
    /// How the file was read and encoded (crop, resize, normalisation, event binning).
    public var summary: String

    /// - Parameter kind: `.frames` unless every timestep slice of `encoded` is the same image.
    public init(name: String, encoded: Tensor, kind: InputKind = .frames, label: Int? = nil, classNames: [String]? = nil,
                summary: String = "") {
        self.name = name
        self.encoded = encoded
        self.kind = kind
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

/// The engine's readers and encoders through `InputPipeline` (CIFAR-10/100 batches, PNG, JPEG,
/// PPM, event files, `.npy`, `.pth`, safetensors; SPEC R19 normalisation): the same pipeline the
/// CLI subcommands use.
public struct FileInputSource: InputSource {
    public init() {}

    public func load(path: String, index: Int?, timesteps: Int, size: Int) throws -> SessionInput {
        try load(path: path, index: index, timesteps: timesteps, size: size, encoding: InputEncodingOptions())
    }

    public func load(path: String, index: Int?, timesteps: Int, size: Int, encoding: InputEncodingOptions) throws -> SessionInput {
        let selection = InputSelection(source: path, index: index, format: encoding.format, splitBy: encoding.splitBy, stats: encoding.stats)
        return SessionInput(try InputPipeline.load(selection, timesteps: timesteps, size: size, oneSample: true))
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
        let selection = InputSelection(source: "default", index: index ?? 0, splitBy: encoding.splitBy, stats: encoding.stats)
        return SessionInput(try InputPipeline.load(selection, timesteps: timesteps, size: size, oneSample: true))
    }
}

extension SessionInput {
    /// One encoded sample `[T, 1, C, H, W]` as the session holds it.
    init(_ sample: EncodedSample) {
        self.init(name: sample.name, encoded: sample.input, kind: sample.kind, label: sample.labels.first, classNames: sample.classNames, summary: sample.summary)
    }
}
