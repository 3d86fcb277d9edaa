/// Calibrates BN/TSBN running statistics on real data: train-mode forwards whose batch (window)
/// statistics are averaged cumulatively — PyTorch's `momentum=None`, i.e. pass k updates with
/// factor 1/k — so the running statistics end as the plain mean over all passes.
public enum Calibration {
    /// Progress of a calibration run.
    public struct Progress: Sendable {
        public var pass: Int
        public var passes: Int
        public var samples: Int
    }

    /// Runs one train-mode forward per batch and leaves `network` in eval mode with the averaged
    /// running statistics (read them with `currentStateDict()` or `save(to:)`).
    /// - Parameters:
    ///   - inputs: encoded samples, each `[T, 1 or B, C, H, W]`; consecutive ones are stacked into
    ///     batches of `batchSize` along B (train-mode windows need more than one value per channel).
    ///   - kinds: what each input is over time (`EncodedSample.kind`); nil: all `.frames`. A
    ///     batch of static images only runs its encoding conv once per pass.
    ///   - progress: called after each pass.
    /// - Throws: `NormalizationError` (a window with a single value per channel), `ModelInputError`.
    public static func run(_ network: Network, inputs: [Tensor], kinds: [InputKind]? = nil, batchSize: Int = 8,
                           progress: (Progress) -> Void = { _ in }) throws {
        precondition(network.flavour == .unfused, "calibration needs the unfused model")
        precondition(kinds == nil || kinds!.count == inputs.count, "one kind per calibration input")
        let batches = stride(from: 0, to: inputs.count, by: max(1, batchSize)).map { start in
            let range = start..<min(inputs.count, start + max(1, batchSize))
            return (input: stackBatch(Array(inputs[range])), kind: kinds.map { InputKind.stacked(Array($0[range])) } ?? .frames)
        }
        defer { network.mode = .eval }
        // TSBN statistics are per timestep, so a pass can step through t (bit-identical to the
        // whole chunk, and its activations are T times smaller: ~1/4 of the peak memory of a
        // 224² model). BatchNorm pools T·B in train mode and needs the whole sequence at once.
        let stepwise = !network.hasBatchNorm
        var samples = 0
        for (k, batch) in batches.enumerated() {
            network.setNormMomentum(1 / Float(k + 1))
            network.mode = .train
            if stepwise {
                try network.start(batch.input, kind: batch.kind)
                for t in 0..<network.config.timesteps { try network.advance(to: t + 1) }
            } else {
                _ = try network.forward(batch.input, kind: batch.kind)
            }
            samples += batch.input.shape[1]
            progress(Progress(pass: k + 1, passes: batches.count, samples: samples))
        }
        network.setNormMomentum(0.1)
    }

    /// Concatenates `[T, B_i, C, H, W]` tensors along B.
    static func stackBatch(_ parts: [Tensor]) -> Tensor {
        let t = parts[0].shape[0]
        let inner = Array(parts[0].shape.dropFirst(2))
        let per = inner.product
        var storage: [Float] = []
        var b = 0
        for p in parts { b += p.shape[1] }
        storage.reserveCapacity(t * b * per)
        for step in 0..<t {
            for p in parts {
                let n = p.shape[1] * per
                storage += p.storage[(step * n)..<((step + 1) * n)]
            }
        }
        return Tensor(shape: [t, b] + inner, storage: storage)
    }
}

extension Network {
    /// Whether any norm is a BatchNorm (shared over t; Spikformer/SDT).
    var hasBatchNorm: Bool {
        convUnits.contains { if case .batchNorm = $0.norm { return true } else { return false } }
    }

    /// Sets the momentum of every BN/TSBN (pre, branch and membrane).
    func setNormMomentum(_ m: Float) {
        for u in convUnits {
            switch u.norm {
            case var .tsbn(t):
                t.momentum = m
                u.norm = .tsbn(t)
            case var .batchNorm(bn):
                bn.momentum = m
                u.norm = .batchNorm(bn)
            default: break
            }
        }
        for l in lifUnits {
            if case var .tsbnMem(t) = l.kind {
                t.momentum = m
                l.kind = .tsbnMem(t)
            }
        }
    }
}
