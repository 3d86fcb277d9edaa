/// How a layer's per-sample tensor splits into channels and positions, so a cursor
/// (channel, position) maps to a flat index for every layout the families use:
/// `[C, H, W]` maps, `[N, C]` tokens (spikformer), `[D, 1]` (kv_lif), `[D]` (head_lif),
/// `[h, 1, d_h]` (sdt `talking_heads_lif`, channel = head·d_h + j).
public struct NeuronLayout: Equatable, Sendable {
    /// Channels C.
    public var channels: Int
    /// Positions per channel S (H·W, N, or 1).
    public var positions: Int
    /// Rows and columns of the position grid (`[H, W]`; tokens `[H′, W′]` when N is a square, else `[1, N]`).
    public var rows: Int
    public var columns: Int
    /// Whether positions are tokens (`[N, C]`, channel fastest).
    public var isTokenMajor: Bool

    /// Layout of a per-sample shape.
    public init(shape: [Int], path: String, family: ModelFamily) {
        switch shape.count {
        case 3 where path.hasSuffix("talking_heads_lif"):
            channels = shape.product; positions = 1; rows = 1; columns = 1; isTokenMajor = false
        case 3:
            channels = shape[0]; positions = shape[1] * shape[2]; rows = shape[1]; columns = shape[2]; isTokenMajor = false
        case 2 where family == .spikformer:
            channels = shape[1]; positions = shape[0]; isTokenMajor = true
            let side = Int(Double(shape[0]).squareRoot().rounded())
            if side * side == shape[0] { rows = side; columns = side } else { rows = 1; columns = shape[0] }
        case 2:
            channels = shape[0]; positions = shape[1]; rows = 1; columns = shape[1]; isTokenMajor = false
        default:
            channels = shape.first ?? 1; positions = 1; rows = 1; columns = 1; isTokenMajor = false
        }
    }

    /// Flat index of (channel, position) within one sample.
    public func index(channel c: Int, position s: Int) -> Int {
        isTokenMajor ? s * channels + c : c * positions + s
    }
}
