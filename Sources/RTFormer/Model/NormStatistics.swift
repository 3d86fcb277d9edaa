/// The running statistics of every BN/TSBN of a network (pre-norms, branch norms and TSBN_mem),
/// so a train-mode preview can be undone exactly.
///
/// Each entry holds `running_mean` and `running_var` (`[T·C]` for TSBN, `[C]` for BN, the
/// PyTorch buffers of the same names) and `num_batches_tracked`, keyed by the norm's module path.
public struct NormStatistics: Equatable, Sendable {
    /// One norm's buffers.
    public struct Entry: Equatable, Sendable {
        public var runningMean: [Float]
        public var runningVar: [Float]
        public var numBatchesTracked: Float
    }

    /// By module path of the norm (`patch_embed.proj_tsbn`, `block.0.attn.q_lif.tsbn`).
    public var entries: [String: Entry]
}

extension Network {
    /// A copy of every norm's running statistics (bit-exact: the Float arrays themselves).
    public func normStatistics() -> NormStatistics {
        var e: [String: NormStatistics.Entry] = [:]
        for u in convUnits {
            guard let np = u.normPath else { continue }
            switch u.norm {
            case let .tsbn(t): e[np] = .init(runningMean: t.runningMean, runningVar: t.runningVar, numBatchesTracked: t.numBatchesTracked)
            case let .batchNorm(bn): e[np] = .init(runningMean: bn.runningMean, runningVar: bn.runningVar, numBatchesTracked: bn.numBatchesTracked)
            default: break
            }
        }
        for l in lifUnits {
            if case let .tsbnMem(t) = l.kind {
                e[l.path + ".tsbn"] = .init(runningMean: t.runningMean, runningVar: t.runningVar, numBatchesTracked: t.numBatchesTracked)
            }
        }
        return NormStatistics(entries: e)
    }

    /// Puts back statistics taken with `normStatistics()` from this network; norms absent from
    /// `stats` (or of another size) are left as they are.
    public func restoreNormStatistics(_ stats: NormStatistics) {
        func fits(_ s: NormStatistics.Entry, _ n: Int) -> Bool { s.runningMean.count == n && s.runningVar.count == n }
        for u in convUnits {
            guard let np = u.normPath, let s = stats.entries[np] else { continue }
            switch u.norm {
            case var .tsbn(t) where fits(s, t.runningMean.count):
                t.runningMean = s.runningMean; t.runningVar = s.runningVar; t.numBatchesTracked = s.numBatchesTracked
                u.norm = .tsbn(t)
            case var .batchNorm(bn) where fits(s, bn.runningMean.count):
                bn.runningMean = s.runningMean; bn.runningVar = s.runningVar; bn.numBatchesTracked = s.numBatchesTracked
                u.norm = .batchNorm(bn)
            default: break
            }
        }
        for l in lifUnits {
            if case var .tsbnMem(t) = l.kind, let s = stats.entries[l.path + ".tsbn"], fits(s, t.runningMean.count) {
                t.runningMean = s.runningMean; t.runningVar = s.runningVar; t.numBatchesTracked = s.numBatchesTracked
                l.kind = .tsbnMem(t)
            }
        }
    }
}
