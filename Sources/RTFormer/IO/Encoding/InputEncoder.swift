/// A model input ready for the forward pass, with a description of how it was made.
public struct EncodedInput: Sendable {
    /// Shape `[T, B, C, size, size]`: C = 3 for images and tensors of 3 channels, 2 for events.
    public var input: Tensor
    /// Lines for the user: the encoding, normalisation, crop/resize or event binning applied.
    public var summary: String
    /// Labels of the batch items when the file carries them (CIFAR records), else empty.
    public var labels: [Int]
    /// `.staticImage` for images and tensors repeated over T, `.frames` for binned events.
    public var kind: InputKind
}

/// Turns any `LoadedInput` into `[T, B, C, H, W]` with the matching encoder.
public enum InputEncoder {
    /// Encodes a loaded input:
    /// - images: centre crop, resize to `size`, normalise with `stats` (default: the input's
    ///   `suggestedStats`, CIFAR-100 for CIFAR-100 batches else CIFAR-10), repeat over T;
    /// - events: `EventEncoder.encode` with `splitBy`;
    /// - tensors `[B, C, H, W]`: taken as normalised and repeated over T.
    /// - Throws: `InputError` when T is outside 1...`Limits.maxTimesteps`, `size` outside
    ///   1...`Limits.maxImageSide`, the encoded input would exceed `Limits.maxInputElements`, or
    ///   when a tensor's spatial size is not `size × size` (tensors are never
    ///   resampled, as they are already normalised model inputs).
    public static func encode(_ loaded: LoadedInput, file: String, timesteps: Int, size: Int,
                              splitBy: EventSplit = .number, stats: NormalisationStats? = nil) throws -> EncodedInput {
        try checkSize(loaded, file: file, timesteps: timesteps, size: size)
        switch loaded.content {
        case let .image(li):
            let (x, enc) = ImageEncoder.encode([li.image], timesteps: timesteps, size: size, stats: stats ?? loaded.suggestedStats)
            var summary = enc.summary
            if let label = li.label {
                summary += "\nlabel \(label)" + (li.className.map { " (\($0))" } ?? "")
                if let coarse = li.coarseLabel { summary += ", superclass \(coarse)" + (li.coarseClassName.map { " (\($0))" } ?? "") }
            }
            return EncodedInput(input: x, summary: summary, labels: li.label.map { [$0] } ?? [], kind: .staticImage)
        case let .events(stream):
            let (x, enc) = EventEncoder.encode(stream, timesteps: timesteps, size: size, splitBy: splitBy)
            return EncodedInput(input: x, summary: stream.summary + "\n" + enc.summary, labels: [], kind: .frames)
        case let .tensor(t):
            guard t.shape[2] == size && t.shape[3] == size else {
                throw InputError(file: file, format: loaded.format.rawValue, location: "tensor \(t.shape)",
                                 expected: "spatial size \(size)x\(size) (tensors are not resampled)",
                                 found: "\(t.shape[2])x\(t.shape[3])")
            }
            let x = ImageEncoder.repeatOverTime(t, timesteps: timesteps)
            let summary = "tensor \(t.shape) taken as already normalised, repeated over T = \(timesteps)"
                + (loaded.notes.isEmpty ? "" : " (" + loaded.notes.joined(separator: "; ") + ")")
            return EncodedInput(input: x, summary: summary, labels: [], kind: .staticImage)
        }
    }

    /// Refuses a T, side or batch whose encoded input `[T, B, C, size, size]` is out of bounds,
    /// before anything is allocated.
    static func checkSize(_ loaded: LoadedInput, file: String, timesteps: Int, size: Int) throws {
        let format = loaded.format.rawValue
        guard (1...Limits.maxTimesteps).contains(timesteps) else {
            throw InputError(file: file, format: format, location: "T", expected: "T in 1...\(Limits.maxTimesteps)", found: "\(timesteps)")
        }
        guard (1...Limits.maxImageSide).contains(size) else {
            throw InputError(file: file, format: format, location: "frame size", expected: "a side in 1...\(Limits.maxImageSide)",
                             found: "\(size)")
        }
        var batch = 1, channels = 3
        switch loaded.content {
        case .image: break
        case .events: channels = 2
        case let .tensor(t): (batch, channels) = (t.shape[0], t.shape[1])
        }
        guard let n = Limits.product([timesteps, batch, channels, size, size]), n <= Limits.maxInputElements else {
            throw InputError(file: file, format: format, location: "encoded input",
                             expected: "at most \(Limits.maxInputElements) elements in [T, B, C, H, W]",
                             found: "[\(timesteps), \(batch), \(channels), \(size), \(size)]")
        }
    }
}
