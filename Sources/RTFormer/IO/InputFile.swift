import Foundation

/// The file formats `InputFile` recognises.
public enum InputFormat: String, Sendable, CaseIterable {
    case cifar10 = "CIFAR-10 batch"
    case cifar100 = "CIFAR-100 batch"
    case png = "PNG"
    case jpeg = "JPEG"
    case netpbm = "PPM/PGM"
    case events40Bit = "40-bit events (N-MNIST .bin / SLAYER .bs2)"
    case aedat4 = "AEDAT 4.0"
    case prophesee = "Prophesee DAT"
    case npy = "NumPy .npy"
    case safetensors = "safetensors"
    case pytorch = "PyTorch .pth/.pt"
}

/// A static image with its label when the file carries one.
public struct LabeledImage: Sendable, Equatable {
    /// The pixels, as decoded (any size).
    public var image: RGBImage
    /// Class index (CIFAR-100: the fine class), nil for plain images.
    public var label: Int?
    /// Name of `label` (CIFAR-100: the fine class name).
    public var className: String?
    /// CIFAR-100 superclass.
    public var coarseLabel: Int?
    /// Name of `coarseLabel`.
    public var coarseClassName: String?
}

/// What an input file holds, decoded.
public struct LoadedInput: Sendable {
    /// Decoded content.
    public enum Content: Sendable {
        /// One 8-bit image (a CIFAR record, a photo), not yet cropped, resized or normalised.
        case image(LabeledImage)
        /// An event-camera recording (t in µs).
        case events(EventStream)
        /// An already normalised input, shape `[B, C, H, W]` (a 3-D `[C, H, W]` file gains B = 1).
        case tensor(Tensor)
    }

    /// The format recognised.
    public var format: InputFormat
    /// What the file held.
    public var content: Content
    /// Records (dataset files) or samples (tensor batches) in the file; 1 for single images and
    /// event recordings.
    public var recordCount: Int
    /// The record or sample chosen, nil when the whole tensor batch was kept.
    public var index: Int?
    /// Normalisation matching the source: CIFAR-100 stats for CIFAR-100 batches, else CIFAR-10
    /// (SPEC R19). Meaningless for events and tensors.
    public var suggestedStats: NormalisationStats
    /// Remarks for the user (which key was read, decoder warnings, ...).
    public var notes: [String]
}

/// One entry point for `--input`: recognises a file by its content and decodes it.
public enum InputFile {
    /// Loads an input file.
    ///
    /// Recognition by magic, extension and structure together (`FormatRecognition`): PNG, JPEG,
    /// PPM/PGM, `.npy`, PyTorch zip/legacy, AEDAT 4.0, safetensors and Prophesee DAT by their
    /// signatures; CIFAR-10/100 and 40-bit events only when their structure holds over the whole
    /// file (labels in range; timestamps in order); text is never taken for events.
    /// - Parameters:
    ///   - path: the file.
    ///   - index: the record of a dataset file (default 0) or the sample of a tensor batch
    ///     (default: the whole batch).
    ///   - format: skip recognition and read as this format (`--format`).
    /// - Throws: `InputError` from the reader, or naming the file when the format is not
    ///   recognised, a tensor has the wrong rank, or `index` is out of range.
    public static func load(path: String, index: Int? = nil, format: InputFormat? = nil) throws -> LoadedInput {
        try decode(InputBytes.read(path, format: "input file"), path: path, index: index, format: format)
    }

    /// Decodes the bytes of an input file; `path` names it in errors and its extension is the
    /// last-resort hint. See `load(path:index:format:)`.
    public static func decode(_ bytes: [UInt8], path: String, index: Int? = nil, format: InputFormat? = nil) throws -> LoadedInput {
        let kind = try format ?? recognise(bytes, path: path)
        var notes: [String] = []
        let single = { (content: LoadedInput.Content) throws -> LoadedInput in
            if let index, index != 0 {
                throw InputError(file: path, format: kind.rawValue, location: "index \(index)",
                                 expected: "index 0 (the file holds one \(kind == .aedat4 || kind == .prophesee || kind == .events40Bit ? "recording" : "image"))",
                                 found: "\(index)")
            }
            return LoadedInput(format: kind, content: content, recordCount: 1, index: 0, suggestedStats: .cifar10, notes: notes)
        }
        switch kind {
        case .cifar10, .cifar100:
            let batch = try CIFARBatch.parse(bytes, file: path, variant: kind == .cifar10 ? .cifar10 : .cifar100)
            let i = index ?? 0
            guard batch.records.indices.contains(i) else {
                throw InputError(file: path, format: kind.rawValue, location: "index \(i)",
                                 expected: "a record index in 0..<\(batch.records.count)", found: "\(i)")
            }
            let r = batch.records[i]
            return LoadedInput(format: kind,
                               content: .image(LabeledImage(image: r.image, label: r.label, className: r.className,
                                                            coarseLabel: r.coarseLabel, coarseClassName: r.coarseClassName)),
                               recordCount: batch.records.count, index: i,
                               suggestedStats: kind == .cifar100 ? .cifar100 : .cifar10, notes: notes)
        case .png:
            return try single(.image(LabeledImage(image: PNGImage.decode(bytes, file: path))))
        case .jpeg:
            let (image, warnings) = try JPEGImage.decode(bytes, file: path)
            if warnings > 0 { notes.append("libjpeg recovered from \(warnings) corrupt-data warning(s); the image may be damaged") }
            return try single(.image(LabeledImage(image: image)))
        case .netpbm:
            return try single(.image(LabeledImage(image: NetpbmImage.decode(bytes, file: path))))
        case .events40Bit:
            return try single(.events(Events40Bit.decode(bytes, file: path)))
        case .aedat4:
            return try single(.events(AEDAT4File.decode(bytes, file: path)))
        case .prophesee:
            return try single(.events(PropheseeDAT.decode(bytes, file: path)))
        case .npy:
            let (t, dtype) = try NumpyArray.decode(bytes, file: path)
            notes.append("array of \(Printable.escape(dtype, limit: 40))")
            return try batchTensor(t, kind: kind, path: path, index: index, notes: notes)
        case .safetensors:
            let f = try Safetensors.parse(Data(bytes), file: path)
            let (key, t) = try pickTensor(f.keys.compactMap { k in f.tensors[k].map { (k, $0) } }, kind: kind, path: path)
            notes.append("tensor '\(Printable.escape(key, limit: 80))'")
            return try batchTensor(t, kind: kind, path: path, index: index, notes: notes)
        case .pytorch:
            let object = try TorchFile.parse(bytes, file: path)
            let (key, t): (String, Tensor)
            if case let .tensor(tensor, _) = object {
                (key, t) = ("<top-level tensor>", tensor)
            } else {
                (key, t) = try pickTensor(object.tensorEntries ?? [], kind: kind, path: path)
            }
            notes.append("tensor '\(Printable.escape(key, limit: 80))'")
            return try batchTensor(t, kind: kind, path: path, index: index, notes: notes)
        }
    }

    /// The format of `bytes`: magic, extension and structure together (`FormatRecognition`).
    /// - Throws: `InputError` listing each format tried and why it was refused.
    public static func recognise(_ bytes: [UInt8], path: String) throws -> InputFormat {
        try FormatRecognition.recognise(bytes, path: path)
    }

    /// `input`, `input_tensor`, `x`, `data` or `images` if present, else the only 3-/4-D tensor.
    static func pickTensor(_ entries: [(String, Tensor)], kind: InputFormat, path: String) throws -> (String, Tensor) {
        for key in ["input", "input_tensor", "x", "data", "images"] {
            if let e = entries.first(where: { $0.0 == key }) { return e }
        }
        let images = entries.filter { $0.1.rank == 4 || $0.1.rank == 3 }
        guard images.count == 1 else {
            throw InputError(file: path, format: kind.rawValue,
                             expected: "a tensor named 'input' (or 'input_tensor'), or exactly one 3-D/4-D tensor",
                             found: images.isEmpty ? "keys \(entries.prefix(10).map { "\($0.0) \($0.1.shape)" })"
                                                   : "\(images.count) candidates: \(images.prefix(6).map(\.0))")
        }
        return images[0]
    }

    static func batchTensor(_ t: Tensor, kind: InputFormat, path: String, index: Int?, notes: [String]) throws -> LoadedInput {
        guard t.rank == 4 || t.rank == 3 else {
            throw InputError(file: path, format: kind.rawValue, expected: "an image tensor [B, C, H, W] or [C, H, W]",
                             found: "shape \(t.shape)")
        }
        let x = t.rank == 3 ? t.reshaped([1] + t.shape) : t
        let b = x.shape[0]
        var content = x
        if let index {
            guard index >= 0 && index < b else {
                throw InputError(file: path, format: kind.rawValue, location: "index \(index)",
                                 expected: "a sample index in 0..<\(b)", found: "\(index)")
            }
            let per = x.count / max(1, b)
            content = Tensor(shape: [1] + Array(x.shape.dropFirst()), storage: Array(x.storage[(index * per)..<((index + 1) * per)]))
        }
        return LoadedInput(format: kind, content: .tensor(content), recordCount: b, index: index,
                           suggestedStats: .cifar10, notes: notes + ["taken as already normalised"])
    }
}
