/// Builds the re-parameterized (deploy) model from an unfused one (SPEC decision 5, §6.3, R14).
/// Pure: the source network is read, never mutated.
public enum DeployConversion {
    /// The deploy state_dict (SPEC R14 keys) of `net`'s current eval weights.
    ///
    /// - RepDW5 → one 3×3 depthwise kernel + bias per timestep (`patch_embed.stcore.rep.{weight,bias}`);
    /// - conv + TSBN_pre → the unfused W (bit-identical) plus `<conv>.scale`/`.shift` `[T, C]`;
    /// - conv + BN (sdt, spikformer) → one fused conv `<conv>.weight`/`.bias`;
    /// - TSBN_mem-LIF → `<lif>.theta`, `.sign`, `.fire_const` `[T, C]` in `fold` mode;
    /// - everything else (head) carried over bit-identical.
    /// - Throws: `DeployConversionError.notUnfused` for a network that is already deploy.
    public static func stateDict(from net: Network, fold: ThresholdFoldMode) throws -> StateDict {
        guard net.flavour == .unfused else { throw DeployConversionError.notUnfused(model: net.config.name) }
        var out: StateDict = [:]
        for u in net.convUnits {
            if u.path.hasPrefix("patch_embed.stcore.rep.") { continue }
            switch u.norm {
            case let .tsbn(t):
                let (scale, shift) = ConvNormFold.foldTSBNAffine(bias: u.bias, norm: t)
                out[u.path + ".weight"] = u.weight
                out[u.path + ".scale"] = scale
                out[u.path + ".shift"] = shift
            case let .batchNorm(bn):
                // A token Linear [out, in] folds like a 1×1 conv.
                let kernel = u.isLinear ? u.weight.reshaped(u.weight.shape + [1, 1]) : u.weight
                let (w, b) = ConvNormFold.foldBatchNorm(weight: kernel, bias: u.bias, norm: bn)
                out[u.path + ".weight"] = u.isLinear ? w.reshaped(u.weight.shape) : w
                out[u.path + ".bias"] = b
            case .none, .affine:
                out[u.path + ".weight"] = u.weight
                if let b = u.bias { out[u.path + ".bias"] = b }
            }
        }
        if let rep = net.repDW5?.reparam() {
            let (w, b) = rep.fuse()
            out["patch_embed.stcore.rep.weight"] = w
            out["patch_embed.stcore.rep.bias"] = b
        }
        for l in net.lifUnits {
            if case let .tsbnMem(t) = l.kind {
                let f = ThresholdFold(tsbn: t, vThreshold: l.parameters.vThreshold, mode: fold)
                out[l.path + ".theta"] = f.thetaTensor
                out[l.path + ".sign"] = f.signTensor
                out[l.path + ".fire_const"] = f.fireConstTensor
            }
        }
        // Parameters no fold touches come over bit-identical: the head, SDT's unused
        // `talking_heads` and Spikformer's unused LayerNorms (kept so checkpoints stay complete).
        for (key, value) in net.stateDict where out[key] == nil {
            if key.hasPrefix("head.") || key.hasSuffix(".talking_heads.weight") || net.unusedKeys.contains(key) {
                out[key] = value
            }
        }
        return out
    }

    /// The deploy twin of `net` (a new `Network` of flavour `.deploy`).
    /// Units whose kernel comes over unchanged (conv + TSBN_pre) share the unfused unit's packed
    /// spike-kernel weights (`Network.sharePackedWeights(with:)`), so the twin adds only what the
    /// folds change.
    public static func convert(_ net: Network, fold: ThresholdFoldMode) throws -> Network {
        let twin = try Network(config: net.config, flavour: .deploy, weights: try stateDict(from: net, fold: fold),
                               source: "deploy(\(net.config.name), \(fold.rawValue))")
        twin.sharePackedWeights(with: net)
        return twin
    }

    /// Parameters that no fold touches must come over bit-identical: the shared conv kernels of
    /// TSBN_pre folds and the head. Returns the keys that differ (empty when all is well).
    public static func carriedOverMismatches(unfused: Network, deploy: StateDict) -> [String] {
        var bad: [String] = []
        for u in unfused.convUnits where !u.path.hasPrefix("patch_embed.stcore.rep.") {
            if case .tsbn = u.norm, deploy[u.path + ".weight"] != u.weight { bad.append(u.path + ".weight") }
        }
        for k in ["head.weight", "head.bias"] where deploy[k] != unfused.stateDict[k] { bad.append(k) }
        return bad
    }
}

/// Why a conversion cannot run.
public enum DeployConversionError: Error, Equatable, CustomStringConvertible {
    case notUnfused(model: String)

    public var description: String {
        switch self {
        case let .notUnfused(model): return "model '\(model)' is already a deploy model: convert its unfused checkpoint instead"
        }
    }
}

extension RepDW5Unit {
    /// The spatial core as a `RepDW5` (branch kernels and their TSBNs, SPEC §5, R6).
    func reparam() -> RepDW5 {
        func kernel(_ u: ConvUnit) -> (Tensor, BranchNorm) {
            guard case let .tsbn(t) = u.norm else { preconditionFailure("RepDW5 branch \(u.path) without TSBN") }
            return (u.weight, .temporal(t))
        }
        guard case let .tsbn(idNorm) = identity.norm else { preconditionFailure("RepDW5 identity without TSBN") }
        let (k33, n33) = kernel(branches[0]), (k13, n13) = kernel(branches[1]), (k31, n31) = kernel(branches[2]), (k11, n11) = kernel(branches[3])
        return RepDW5(k33: k33, k13: k13, k31: k31, k11: k11, norm33: n33, norm13: n13, norm31: n31, norm11: n11,
                      normIdentity: .temporal(idNorm))
    }
}

extension Network {
    /// The unfused RepDW5 spatial core (rtformer family), nil otherwise.
    var repDW5: RepDW5Unit? {
        guard let g = graph as? SpikeDrivenGraph, case let .repDW5(rep) = g.core else { return nil }
        return rep
    }
}

extension Network {
    /// Makes this network's conv units use `other`'s packed spike-kernel weights wherever the two
    /// hold the same kernel at the same path (a deploy twin and its unfused model: every conv whose
    /// TSBN_pre folds into an affine keeps W bit for bit). Results are unchanged: the packed
    /// values are the same. Both networks must then run on one thread at a time.
    /// - Returns: the number of units now sharing.
    @discardableResult
    public func sharePackedWeights(with other: Network) -> Int {
        let theirs = Dictionary(other.convUnits.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var shared = 0
        for u in convUnits {
            if let o = theirs[u.path], u.sharePacked(with: o) { shared += 1 }
        }
        return shared
    }
}
