/// A family's forward graph over a chunk of timesteps `[steps, B, C, H, W]`. Every stateful unit
/// (LIF, train-mode TSBN) carries its state between chunks, so running t = 0…T−1 in one chunk
/// or one timestep at a time gives identical results (the network is causal in t).
protocol FamilyGraph: AnyObject {
    /// Per-timestep head input: logits `[steps, B, classes]` when `logitsPerStep`, else the
    /// token-averaged features `[steps, B, D]` (Spikformer applies its head after the mean over T).
    func run(_ x: Tensor, _ ctx: RunContext) throws -> Tensor
    var logitsPerStep: Bool { get }
    var head: (weight: Tensor, bias: Tensor) { get }
    /// Every conv/linear unit (with its norm) in execution order: the one list that reset,
    /// calibration, deploy conversion and the equivalence checks iterate.
    var convUnits: [ConvUnit] { get }
    /// Every LIF unit in execution order (the same order as the LIF rows of `Network.layers`).
    var lifUnits: [LIFUnit] { get }
}

extension FamilyGraph {
    /// Forgets every unit's state (membranes, train-mode windows, cached encodings): a new input.
    func reset() {
        convUnits.forEach { $0.reset() }
        lifUnits.forEach { $0.reset() }
    }
}

/// The spatial core after the stem's last neuron: RTFormer's RepDW5 (unfused) or its fused per-t
/// DW conv (deploy), the Spike-Driven Transformer's `rpe_conv` + `rpe_bn`.
enum SpatialCore {
    case repDW5(RepDW5Unit)
    case conv(ConvUnit)

    /// Its conv units in execution order (RepDW5: the five branches, then the identity).
    var convUnits: [ConvUnit] {
        switch self {
        case let .repDW5(rep): return rep.branches + [rep.identity]
        case let .conv(c): return [c]
        }
    }

    /// `[steps, B, N, D]` spikes → the core's output of the same shape.
    func forward(_ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        switch self {
        case let .repDW5(rep): return try rep.forward(x, ctx)
        case let .conv(c): return try c.forward(x, ctx)
        }
    }
}

/// Max-pool 3/2/1 over a chunk `[steps, B, C, H, W]`.
func poolChunk(_ x: Tensor) -> Tensor {
    let lead = Array(x.shape.prefix(2))
    let y = MaxPool2d.forward(x.reshaped([x.shape[0] * x.shape[1]] + Array(x.shape.dropFirst(2))))
    return y.reshaped(lead + Array(y.shape.dropFirst()))
}

/// Mean over the trailing spatial axes of `[steps, B, C, S...]` → `[steps, B, C]`.
func spatialMean(_ x: Tensor) -> Tensor {
    let c = x.shape[2]
    let s = x.shape.dropFirst(3).product
    let rows = x.shape[0] * x.shape[1] * c
    var out = [Float](repeating: 0, count: rows)
    x.storage.withUnsafeBufferPointer { p in
        for r in 0..<rows {
            // Float32 accumulation in order, as torch.mean over a contiguous last axis of small size.
            var acc: Float = 0
            for i in 0..<s { acc += p[r * s + i] }
            out[r] = acc / Float(s)
        }
    }
    return Tensor(shape: [x.shape[0], x.shape[1], c], storage: out)
}
