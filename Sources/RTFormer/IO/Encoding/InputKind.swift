/// What an encoded input `[T, B, C, H, W]` is over time, so the model knows it instead of
/// rediscovering it (DESIGN §3).
public enum InputKind: String, Sendable, Equatable {
    /// A static image under direct encoding (SPEC §1): every timestep slice is the same frame.
    /// The encoding layer (the first conv + norm input) computes its conv once, on the slice of
    /// t = 0, and reuses it for every t: the conv0 MACs are spent once, as the energy count has it.
    case staticImage
    /// T frames that may differ (event bins, or any tensor given without a kind): every
    /// timestep is computed from its own slice.
    case frames

    /// The kind of inputs stacked along B (a calibration batch): static only when every part is.
    public static func stacked(_ kinds: [InputKind]) -> InputKind {
        kinds.allSatisfy { $0 == .staticImage } ? .staticImage : .frames
    }
}
