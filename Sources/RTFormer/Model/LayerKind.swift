/// What a layer of `Network.layers` is (`LayerInfo.kind`): the operation and the few settings
/// its row shows. Code that asks what a layer is matches on the cases; `description` is the text
/// `rtformer info`, the session's layer table, its transcripts and the TUI show (e.g.
/// `Conv2d 3×3`, `TSBN-LIF`, `MaxPool 3/2/1`, `LIF V_th 0.5`).
public enum LayerKind: Sendable, Hashable, CustomStringConvertible {
    /// The norm a deploy conv or linear has absorbed (SPEC R14, §4.1).
    public enum FoldedNorm: Sendable, Hashable {
        /// A TSBN folded into a per-timestep, per-channel affine `a(t, c)·y + b(t, c)` (rtformer).
        case affine
        /// A BatchNorm folded into the weights and bias (sdt, spikformer).
        case batchNorm
    }

    /// Which form a LIF neuron takes (SPEC §4.3, R1).
    public enum Neuron: Sendable, Hashable {
        /// Plain multi-step LIF: fires on `H ≥ V_th`.
        case plain
        /// Unfused TSBN_mem-LIF: a TSBN on the charged membrane, fires on `Ĥ = a·H + b ≥ V_th`.
        case tsbnMembrane
        /// Deploy form of a TSBN-LIF: the TSBN folded into a threshold θ(t, c) and a comparator sign.
        case foldedThreshold
    }

    /// The branch added to the stem's features `x_feat` before the first block.
    public enum FeatureBranch: String, Sendable, Hashable {
        /// RTFormer's spatial core (RepDW5 or its fused per-t kernel).
        case stcore = "STCore"
        /// The Spike-Driven Transformer's `rpe_conv` + `rpe_bn`.
        case rpe
    }

    /// 2-D convolution over `[C, H, W]` with a `kernelH × kernelW` kernel, depthwise when each
    /// channel has its own kernel (groups = C); `folded`: the norm a deploy conv absorbed.
    case conv(kernelH: Int, kernelW: Int, depthwise: Bool, folded: FoldedNorm?)
    /// Token linear `[N, Cin] → [N, Cout]` (Spikformer's q/k/v/proj/MLP); `folded` as for `conv`.
    case linear(folded: FoldedNorm?)
    /// Temporal-shift BatchNorm `[T, B, C, ...]` (SPEC §6.4); `identityBranch`: the RepDW5
    /// identity branch's TSBN, which has no conv in front of it.
    case tsbn(identityBranch: Bool)
    /// BatchNorm over `[B, N, C]` tokens (after a token linear).
    case batchNorm1d
    /// BatchNorm over `[B, C, H, W]` maps (after a conv).
    case batchNorm2d
    /// A spiking neuron layer with threshold `vThreshold` (potential units; the table notes it when not 1).
    case lif(Neuron, vThreshold: Float)
    /// Max pooling with a `kernel × kernel` window, `stride` and zero `padding` (all in pixels).
    case maxPool(kernel: Int, stride: Int, padding: Int)
    /// RTFormer's RepDW5 spatial core: unfused, its five branches summed (`fused` false, FL counted
    /// as the fused kernel's); deploy, one 3×3 depthwise kernel per timestep (`fused` true).
    case repDW5(fused: Bool)
    /// Residual sum `x_feat + branch` at the end of the patch embedding (rtformer, sdt).
    case featureSum(FeatureBranch)
    /// Spikformer's SEW sum of the rpe spikes and `x_feat`, flattened into `[N, D]` tokens.
    case sewTokens
    /// Spike-driven self-attention: `Σ_N K⊙V` per channel (SPEC R16).
    case sdsa
    /// Spikformer's spiking self-attention `(q·kᵀ·0.125)·v`.
    case ssa
    /// A Conv1d the checkpoint holds but the forward never uses (SDT `talking_heads`).
    case unusedConv1d
    /// Mean over the token map `H′W′` before the head (rtformer, sdt).
    case spatialMean
    /// Mean over the tokens before the head (spikformer).
    case tokenMean
    /// The classification head; `onMeanOverT`: applied once to the mean over T (spikformer)
    /// rather than at every timestep.
    case head(onMeanOverT: Bool)

    /// The row text, e.g. `DWConv2d 1×3 + affine(t,c)`, `TSBN (identity branch)`, `LIF θ(t,c)`.
    public var description: String {
        switch self {
        case let .conv(kh, kw, depthwise, folded):
            return (depthwise ? "DWConv2d " : "Conv2d ") + "\(kh)×\(kw)" + Self.suffix(folded)
        case let .linear(folded): return "Linear" + Self.suffix(folded)
        case let .tsbn(identityBranch): return identityBranch ? "TSBN (identity branch)" : "TSBN"
        case .batchNorm1d: return "BatchNorm1d"
        case .batchNorm2d: return "BatchNorm2d"
        case let .lif(neuron, vThreshold):
            let name = switch neuron {
            case .plain: "LIF"
            case .tsbnMembrane: "TSBN-LIF"
            case .foldedThreshold: "LIF θ(t,c)"
            }
            return vThreshold == 1 ? name : name + " V_th \(vThreshold)"
        case let .maxPool(k, s, p): return "MaxPool \(k)/\(s)/\(p)"
        case let .repDW5(fused): return fused ? "DWConv2d 3×3 per t (RepDW5 fused)" : "RepDW5 Σ5 branches (fused FL)"
        case let .featureSum(branch): return "x_feat + " + branch.rawValue
        case .sewTokens: return "rpe spikes + x_feat → tokens (SEW)"
        case .sdsa: return "SDSA Σ_N K⊙V"
        case .ssa: return "SSA (q·kᵀ·0.125)·v"
        case .unusedConv1d: return "Conv1d (built, unused by forward)"
        case .spatialMean: return "mean over H′W′"
        case .tokenMean: return "mean over tokens"
        case let .head(onMeanOverT): return onMeanOverT ? "Linear (on mean over T)" : "Linear"
        }
    }

    /// The neuron form of a LIF layer, nil for every other kind.
    public var neuron: Neuron? {
        if case let .lif(n, _) = self { return n }
        return nil
    }

    private static func suffix(_ folded: FoldedNorm?) -> String {
        switch folded {
        case nil: ""
        case .affine: " + affine(t,c)"
        case .batchNorm: " (BN folded)"
        }
    }
}
