/// What one LIF layer did at every timestep: the dumps of SPEC R13, each `[T, B, ...]`
/// (per-timestep shape `shape`).
public struct LIFRecord: Sendable {
    /// Module path (SPEC R1), e.g. `block.0.attn.q_lif`.
    public var path: String
    /// Per-timestep, per-sample shape, e.g. `[C, H, W]`, `[N, C]` (spikformer tokens), `[D, 1]` (kv_lif).
    public var shape: [Int]
    public var batch: Int
    public var timesteps: Int
    /// Threshold the comparator uses (`V_th`; for a TSBN-LIF Ĥ is compared with it).
    public var vThreshold: Float
    /// Input current X[t].
    public var x: [Float]
    /// Charged membrane H[t] (raw for TSBN-LIFs); in a compact record (`Recorder.Level.spikes`)
    /// the value compared with V_th instead (Ĥ for TSBN-LIFs).
    public var h: [Float]
    /// Spikes S[t] ∈ {0, 1}.
    public var spikes: [Float]
    /// Membrane after reset V[t].
    public var v: [Float]
    /// Ĥ[t] = a[t,c]·H[t] + b[t,c] for TSBN-LIFs (what is compared with V_th); nil for plain LIFs.
    public var hHat: [Float]?
    /// The membrane V[−1] the run started from when it was not at rest (a state carried over
    /// from the previous input); nil: at rest (`V_reset`, 0 for soft reset).
    public var initialV: [Float]?
    /// Timesteps filled so far (the recorder streams in t).
    public var filled: Set<Int> = []

    /// Elements of one timestep (B × product of shape).
    public var perStep: Int { batch * shape.product }

    /// - Parameter compact: keep only S and the value compared with V_th (Ĥ, or H), the latter
    ///   in `h`; `x`, `v` stay empty and `hHat` nil (`Recorder.Level.spikes`).
    init(path: String, shape: [Int], batch: Int, timesteps: Int, vThreshold: Float, hasHat: Bool, compact: Bool = false) {
        self.path = path
        self.shape = shape
        self.batch = batch
        self.timesteps = timesteps
        self.vThreshold = vThreshold
        let n = timesteps * batch * shape.product
        spikes = [Float](repeating: 0, count: n)
        h = spikes
        x = compact ? [] : spikes
        v = x
        hHat = hasHat && !compact ? spikes : nil
    }

    /// One of the recorded quantities as a tensor `[T, B, shape...]`.
    public func tensor(_ what: KeyPath<LIFRecord, [Float]>) -> Tensor {
        Tensor(shape: [timesteps, batch] + shape, storage: self[keyPath: what])
    }

    /// Ĥ as a tensor, or H for plain LIFs (the value compared with V_th).
    public var comparedTensor: Tensor {
        Tensor(shape: [timesteps, batch] + shape, storage: hHat ?? h)
    }

    /// Fraction of ones in S at timestep t (all samples, channels, positions).
    public func firingRate(at t: Int) -> Double {
        let n = perStep
        var s = 0.0
        spikes.withUnsafeBufferPointer { p in for i in (t * n)..<((t + 1) * n) { s += Double(p[i]) } }
        return n > 0 ? s / Double(n) : 0
    }
}

/// Streams what a forward pass computes: every LIF's X, H, S, V (and Ĥ), train-mode TSBN window
/// statistics, and named stream tensors (`patch_embed.x_feat`, `block.0.out`, …).
/// Recording is opt-in: a forward with no recorder records nothing and allocates nothing for it.
/// Recording never changes what the forward pass computes (outputs are bit-identical with or
/// without a recorder, at either level).
public final class Recorder {
    /// How much a recorder keeps.
    public enum Level: Sendable {
        /// Everything: X, H, S, V (and Ĥ) of every LIF, stream tensors, unit inputs, windows, rates.
        case full
        /// Per LIF only S and the value compared with V_th (stored in `LIFRecord.h`; `x`, `v`
        /// empty), plus the per-timestep rates; no stream tensors or unit inputs. What a dataset
        /// evaluation needs to compare twins and count spikes, at 2 of the 5 floats per neuron.
        case spikes
    }

    /// What this recorder keeps.
    public let level: Level
    public private(set) var lifs: [String: LIFRecord] = [:]
    /// LIF paths in execution order.
    public private(set) var lifOrder: [String] = []
    /// Stream tensors `[T, B, ...]` by name, filled per timestep.
    public internal(set) var streams: [String: Tensor] = [:]
    public internal(set) var streamOrder: [String] = []
    /// Train-mode TSBN / BN statistics per norm path, one record per timestep computed.
    public private(set) var windows: [String: [TSBNWindowRecord]] = [:]
    /// Inputs of conv/norm units `[T, B, ...]` by unit path (for local equivalence checks), when enabled.
    public var recordUnitInputs: Bool
    public internal(set) var unitInputs: [String: Tensor] = [:]
    public internal(set) var unitOutputs: [String: Tensor] = [:]
    /// Firing rate per timestep of named binary tensors (LIF outputs and derived spike tensors
    /// such as pooled maps and K⊙V) that feed AC layers (SPEC §9, R8); NaN where not yet computed.
    public internal(set) var rates: [String: [Double]] = [:]
    var rateTimesteps = 0

    public init(recordUnitInputs: Bool = false, level: Level = .full) {
        self.recordUnitInputs = recordUnitInputs && level == .full
        self.level = level
    }

    /// Bytes held by the recordings.
    public var bytes: Int {
        var n = 0
        for r in lifs.values { n += 4 * (r.x.count + r.h.count + r.spikes.count + r.v.count + (r.hHat?.count ?? 0)) }
        for t in streams.values { n += 4 * t.count }
        for t in unitInputs.values { n += 4 * t.count }
        for t in unitOutputs.values { n += 4 * t.count }
        return n
    }

    /// Forgets everything (a new input).
    public func clear() {
        lifs = [:]; lifOrder = []; streams = [:]; streamOrder = []; windows = [:]; unitInputs = [:]; unitOutputs = [:]; rates = [:]
    }

    func lif(_ path: String, shape: [Int], batch: Int, timesteps: Int, vThreshold: Float, hasHat: Bool) {
        if lifs[path] == nil {
            lifs[path] = LIFRecord(path: path, shape: shape, batch: batch, timesteps: timesteps, vThreshold: vThreshold, hasHat: hasHat,
                                   compact: level == .spikes)
            lifOrder.append(path)
        }
    }

    func setInitialMembrane(_ path: String, _ v: [Float]) {
        lifs[path]?.initialV = v
    }

    func storeLIF(_ path: String, t: Int, x: UnsafePointer<Float>, h: UnsafePointer<Float>, s: UnsafePointer<Float>,
                  v: UnsafePointer<Float>, hHat: UnsafePointer<Float>?) {
        guard var r = lifs.removeValue(forKey: path) else { return }
        let n = r.perStep, o = t * n
        if level == .spikes {
            r.spikes.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: s, count: n) }
            r.h.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: hHat ?? h, count: n) }
            r.filled.insert(t)
            lifs[path] = r
            return
        }
        r.x.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: x, count: n) }
        r.h.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: h, count: n) }
        r.spikes.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: s, count: n) }
        r.v.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: v, count: n) }
        if let hHat, r.hHat != nil {
            r.hHat!.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: hHat, count: n) }
        }
        r.filled.insert(t)
        lifs[path] = r
    }

    /// Stores timesteps `t0 ..< t0 + chunk.shape[0]` of a named `[T, B, ...]` stream tensor.
    /// The tensor is taken out of its table while written, so the write is in place (writing
    /// through the dictionary would copy the whole recording on every timestep).
    func storeStream(_ name: String, t0: Int, timesteps: Int, chunk: Tensor, into table: ReferenceWritableKeyPath<Recorder, [String: Tensor]>) {
        guard level == .full else { return }
        let inner = Array(chunk.shape.dropFirst())
        var target: Tensor
        if let existing = self[keyPath: table].removeValue(forKey: name), existing.shape == [timesteps] + inner {
            target = existing
        } else {
            target = Tensor(shape: [timesteps] + inner)
            if table == \Recorder.streams && !streamOrder.contains(name) { streamOrder.append(name) }
        }
        let n = inner.product
        target.storage.withUnsafeMutableBufferPointer { d in
            chunk.storage.withUnsafeBufferPointer { s in
                (d.baseAddress! + t0 * n).update(from: s.baseAddress!, count: chunk.count)
            }
        }
        self[keyPath: table][name] = target
    }

    func stream(_ name: String, t0: Int, timesteps: Int, chunk: Tensor) {
        storeStream(name, t0: t0, timesteps: timesteps, chunk: chunk, into: \Recorder.streams)
    }

    func window(_ path: String, _ record: TSBNWindowRecord) {
        windows[path, default: []].removeAll { $0.t == record.t }
        windows[path, default: []].append(record)
    }
}
