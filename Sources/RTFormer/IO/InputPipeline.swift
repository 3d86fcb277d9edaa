import Foundation

/// Which input to read and how to encode it: the one description that `forward`, `check`,
/// `energy`, `plot`, `calibrate` and the session's `input` command all resolve through
/// `InputPipeline` (so aliases, defaults and messages agree).
public struct InputSelection: Equatable, Sendable {
    /// A file path, an alias (`digits`, `gesture`: `BundledResources.aliases`) or `default`
    /// (the bundled CIFAR-10 test images 0–9). A file of that name in the working directory wins.
    public var source: String
    /// Record of a dataset file or sample of a tensor batch; nil: record 0 of a dataset, the whole
    /// batch of a tensor file (sample 0 with `oneSample`).
    public var index: Int?
    /// The file's format when named (`--format`); nil: recognised by signature and structure.
    public var format: InputFormat?
    /// Event binning into T frames.
    public var splitBy: EventSplit
    /// Image normalisation; nil: the reader's suggestion (CIFAR-100 statistics for CIFAR-100 files).
    public var stats: NormalisationStats?

    public init(source: String, index: Int? = nil, format: InputFormat? = nil, splitBy: EventSplit = .number,
                stats: NormalisationStats? = nil) {
        self.source = source
        self.index = index
        self.format = format
        self.splitBy = splitBy
        self.stats = stats
    }
}

/// An input read and encoded for a model.
public struct EncodedSample: Sendable {
    /// What to call it: the file name, `#index` for a record of a dataset, or the bundled set's name.
    public var name: String
    /// `[T, B, C, size, size]`: a static image repeated over T, or T event frames (`kind` says which).
    public var input: Tensor
    /// Whether `input` is a static image repeated over T or T frames: pass it to
    /// `Network.start(_:kind:)` so the encoding conv runs once for a static image.
    public var kind: InputKind
    /// Labels of the batch items where the file carries them.
    public var labels: [Int]
    /// Class names in index order where the file tells them (CIFAR-10/100, the bundled digits).
    public var classNames: [String]?
    /// How it was read and encoded (crop, resize, normalisation, event binning), one line each.
    public var summary: String
    /// The reader's remarks (a short last record, a dtype widened), one sentence each.
    public var notes: [String]
    /// Records in the file (1 for a single image or recording).
    public var recordCount: Int
}

/// The one input pipeline: source (file | alias | `default`) → reader → encoder → checked sample.
public enum InputPipeline {
    /// The file a source names: the bundled file of an alias, else the source itself.
    /// `default` has no file (it is compiled in) and gives nil.
    /// - Throws: `InputError` when a bundled resource is missing.
    public static func path(of source: String) throws -> String? {
        if source == "default" && !FileManager.default.fileExists(atPath: source) { return nil }
        return try BundledResources.locate(source, as: .input)
    }

    /// Reads and encodes `selection` for a model of `timesteps`, `size` and `channels`.
    /// - Parameters:
    ///   - oneSample: read only sample `index ?? 0` of a tensor batch (`[T, 1, C, H, W]`).
    ///   - channels: the model's input channels; nil skips the check.
    ///   - modelName: named in the channel mismatch message.
    /// - Returns: the sample; errors name the alias the user typed, not the bundled path.
    /// - Throws: `InputError` (unreadable file, wrong channel count, index out of range, sizes
    ///   beyond `Limits`).
    public static func load(_ selection: InputSelection, timesteps: Int, size: Int, channels: Int? = nil,
                            modelName: String = "the model", oneSample: Bool = false) throws -> EncodedSample {
        let source = selection.source
        let filePath = try path(of: source)
        let readIndex = oneSample ? (selection.index ?? 0) : selection.index
        let loaded: LoadedInput
        if let filePath {
            loaded = try BundledResources.naming(source, path: filePath) {
                BundledResources.namingDigits(try InputFile.load(path: filePath, index: readIndex, format: selection.format), path: filePath)
            }
        } else {
            loaded = try InputFile.decode(BundledSamples.cifar10TestRecords, path: BundledSamples.cifar10Name, index: selection.index ?? 0,
                                          format: .cifar10)
        }
        let file = filePath ?? BundledSamples.cifar10Name
        let enc = try BundledResources.naming(source, path: file) {
            try InputEncoder.encode(loaded, file: file, timesteps: timesteps, size: size, splitBy: selection.splitBy, stats: selection.stats)
        }
        let x = enc.input
        if let channels, x.shape[2] != channels {
            throw InputError(file: source, format: loaded.format.rawValue, expected: "\(channels) input channel(s) for model \(modelName)",
                             found: "\(x.shape[2]) channel(s)" + (x.shape[2] == 2 ? " (event input: use a DVS config such as tiny-dvs)" : ""))
        }
        var labels = enc.labels
        var names: [String]?
        switch loaded.format {
        case .cifar10: names = CIFARVariant.cifar10.classNames
        case .cifar100: names = CIFARVariant.cifar100.classNames
        default: break
        }
        if let filePath, URL(fileURLWithPath: filePath).lastPathComponent == BundledResources.digitsTest { names = ClassNames.digits }
        // Tensor files carry no label through the reader; the fixtures keep them under `labels`.
        if let filePath, loaded.format == .safetensors, labels.isEmpty, let f = try? Safetensors.read(path: filePath),
           let l = f.tensors["labels"], l.rank == 1 {
            let picked = readIndex.map { [$0] } ?? Array(0..<l.count)
            if picked.allSatisfy({ $0 < l.count }) {
                labels = picked.map { Int(l.storage[$0]) }
                if x.shape[2] == 3 { names = ClassNames.cifar10 }
            }
        }
        let base = filePath.map { Printable.escape(URL(fileURLWithPath: $0).lastPathComponent, limit: 80) } ?? "bundled CIFAR-10 test"
        let name = base + (loaded.recordCount > 1 ? "#\(selection.index ?? 0)" : "")
        return EncodedSample(name: name, input: x, kind: enc.kind, labels: labels, classNames: names, summary: enc.summary, notes: loaded.notes,
                             recordCount: loaded.recordCount)
    }

    /// Up to `limit` records of `source`, each encoded `[T, 1, C, size, size]` with its kind: what
    /// `calibrate` (CLI and session) averages the running statistics over. A directory gives its files in
    /// name order (a dataset file in it gives its records).
    /// - Throws: `InputError` for an unreadable file or no inputs.
    public static func samples(of source: String, limit: Int, timesteps: Int, size: Int, channels: Int? = nil,
                               modelName: String = "the model", splitBy: EventSplit = .number) throws -> [EncodedSample] {
        var isDir: ObjCBool = false
        var files: [String] = [source]
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDir), isDir.boolValue {
            // Input files only: no hidden files, sub-folders or notes (README.md, labels.csv).
            files = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
                .filter { name in !name.hasPrefix(".") && ![".txt", ".csv", ".md", ".json"].contains { name.lowercased().hasSuffix($0) } }
                .map { (source as NSString).appendingPathComponent($0) }
                .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
        }
        var out: [EncodedSample] = []
        for file in files where out.count < limit {
            let first = try load(InputSelection(source: file, index: 0, splitBy: splitBy), timesteps: timesteps, size: size,
                                 channels: channels, modelName: modelName, oneSample: true)
            out.append(first)
            var i = 1
            while out.count < limit && i < first.recordCount {
                out.append(try load(InputSelection(source: file, index: i, splitBy: splitBy), timesteps: timesteps, size: size,
                                    channels: channels, modelName: modelName, oneSample: true))
                i += 1
            }
        }
        guard !out.isEmpty else {
            throw InputError(file: source, format: "input", expected: "at least one input file", found: "an empty directory")
        }
        return out
    }
}
