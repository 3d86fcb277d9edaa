/// What one LIF layer did at every timestep: the dumps of SPEC R13, each `[T, B, ...]`
/// (per-timestep shape `shape`).
///
/// Spikes are always kept, bit-packed (one bit per neuron and timestep: what `back`, the rates,
/// the raster and the diff read). The real-valued quantities X, H, V (and Ĥ) are kept only for
/// the layers the recorder watches (`Recorder.watches`); for the others `hasMembranes` is false
/// and `x`, `h`, `v` are empty (`Session` recomputes them on demand by replaying the forward).
public struct LIFRecord: Sendable {
    /// Module path (SPEC R1), e.g. `block.0.attn.q_lif`.
    public var path: String
    /// The timestep held at index 0 of the arrays: 0, except in a recorder that keeps only the
    /// latest timestep (`Recorder.keepsLatestStepOnly`), where it is the timestep last stored.
    /// Every accessor taking `t` takes the absolute timestep; `offset(at:)` maps it into `x`, `h`, `v`.
    public internal(set) var firstStep = 0
    /// Per-timestep, per-sample shape, e.g. `[C, H, W]`, `[N, C]` (spikformer tokens), `[D, 1]` (kv_lif).
    public var shape: [Int]
    public var batch: Int
    /// Timesteps the arrays hold (T; 1 in a latest-step recording).
    public var timesteps: Int
    /// Threshold the comparator uses (`V_th`; for a TSBN-LIF Ĥ is compared with it).
    public var vThreshold: Float
    /// Input current X[t], `[T · perStep]` (empty when the layer is not watched, and for plain
    /// LIFs in a recorder that keeps only `inputMaxAbs`).
    public var x: [Float]
    /// max|X[t]| over the layer per timestep held, when X itself is not kept
    /// (`Recorder.keepsPlainInputCurrent` false): all the equivalence check's rounding bound reads.
    public internal(set) var inputMaxAbs: [Float] = []
    /// Charged membrane H[t] (raw for TSBN-LIFs); in a compact record (`Recorder.Level.spikes`)
    /// the value compared with V_th instead (Ĥ for TSBN-LIFs). Empty when not watched.
    public var h: [Float]
    /// Spikes S[t] ∈ {0, 1}, bit-packed: timestep t occupies words `t · wordsPerStep ..< (t + 1) · wordsPerStep`,
    /// neuron i of that timestep is bit `i % 64` of word `i / 64` (least significant first).
    public private(set) var spikeBits: [UInt64]
    /// Membrane after reset V[t] (empty when not watched).
    public var v: [Float]
    /// Ĥ[t] = a[t,c]·H[t] + b[t,c] for TSBN-LIFs (what is compared with V_th); nil for plain LIFs
    /// and for layers not watched.
    public var hHat: [Float]?
    /// The membrane V[−1] the run started from when it was not at rest (a state carried over
    /// from the previous input); nil: at rest (`V_reset`, 0 for soft reset).
    public var initialV: [Float]?
    /// Timesteps filled so far (the recorder streams in t).
    public var filled: Set<Int> = []
    /// Whether X, H, V (and Ĥ) are kept for this layer (H alone in a compact record).
    public private(set) var hasMembranes: Bool
    /// Whether the layer is a TSBN-LIF (has Ĥ when watched).
    public let isTSBNLIF: Bool
    /// Whether X is kept when membranes are (else only `inputMaxAbs`).
    public let keepsInputCurrent: Bool

    /// Elements of one timestep (B × product of shape).
    public var perStep: Int { batch * shape.product }
    /// Index in `x`, `h`, `v`, `hHat` of neuron 0 at (absolute) timestep t.
    @inline(__always)
    public func offset(at t: Int) -> Int { (t - firstStep) * perStep }
    /// First word of timestep t in `spikeBits`.
    @inline(__always)
    private func word(_ t: Int) -> Int { (t - firstStep) * wordsPerStep }
    /// 64-bit words of one timestep in `spikeBits`.
    public var wordsPerStep: Int { (perStep + 63) / 64 }

    /// - Parameters:
    ///   - compact: keep only S and the value compared with V_th (Ĥ, or H), the latter
    ///     in `h`; `x`, `v` stay empty and `hHat` nil (`Recorder.Level.spikes`).
    ///   - membranes: keep the real-valued quantities at all (false: spikes only).
    ///   - resetMembrane: keep V as well (false: `v` stays empty).
    ///   - inputCurrent: keep X (false: `inputMaxAbs` instead), for plain LIFs; TSBN-LIFs always keep X.
    init(path: String, shape: [Int], batch: Int, timesteps: Int, vThreshold: Float, hasHat: Bool, compact: Bool = false,
         membranes: Bool = true, resetMembrane: Bool = true, inputCurrent: Bool = true) {
        self.path = path
        self.shape = shape
        self.batch = batch
        self.timesteps = timesteps
        self.vThreshold = vThreshold
        self.isTSBNLIF = hasHat
        let per = batch * shape.product
        spikeBits = [UInt64](repeating: 0, count: timesteps * ((per + 63) / 64))
        x = []; h = []; v = []; hHat = nil
        hasMembranes = false
        keepsInputCurrent = inputCurrent || hasHat
        if membranes { allocateMembranes(compact: compact, resetMembrane: resetMembrane) }
    }

    /// Allocates X, H, V (and Ĥ) for every timestep (zero: not yet recorded); V only with `resetMembrane`.
    mutating func allocateMembranes(compact: Bool, resetMembrane: Bool = true) {
        let n = timesteps * perStep
        h = [Float](repeating: 0, count: n)
        x = compact || !keepsInputCurrent ? [] : h
        v = resetMembrane && !compact ? h : []
        inputMaxAbs = compact || keepsInputCurrent ? [] : [Float](repeating: 0, count: timesteps)
        hHat = isTSBNLIF && !compact ? h : nil
        hasMembranes = true
    }

    /// Drops X, H, V and Ĥ (the layer is no longer watched); spikes stay.
    mutating func dropMembranes() {
        x = []; h = []; v = []; hHat = nil; inputMaxAbs = []
        hasMembranes = false
    }

    /// Bytes held by this record.
    public var bytes: Int {
        8 * spikeBits.count + 4 * (x.count + h.count + v.count + (hHat?.count ?? 0) + (initialV?.count ?? 0) + inputMaxAbs.count)
    }

    /// Whether neuron `index` (0 ..< perStep, sample-major) spiked at t.
    @inline(__always)
    public func spike(t: Int, index: Int) -> Bool {
        spikeBits[word(t) + index >> 6] >> UInt64(index & 63) & 1 != 0
    }

    /// Whether the neuron at flat index `offset(at: t) + index` spiked (the indexing of `x`, `h`, `v`).
    @inline(__always)
    public func spike(flat g: Int) -> Bool {
        let n = perStep
        return spike(t: firstStep + g / n, index: g % n)
    }

    /// S[t] as 0/1 floats, `[perStep]`.
    public func spikes(at t: Int) -> [Float] {
        let n = perStep, w = wordsPerStep, base = word(t)
        var out = [Float](repeating: 0, count: n)
        spikeBits.withUnsafeBufferPointer { bits in
            out.withUnsafeMutableBufferPointer { o in
                for k in 0..<w {
                    var word = bits[base + k]
                    while word != 0 {
                        let b = word.trailingZeroBitCount
                        o[k * 64 + b] = 1
                        word &= word - 1
                    }
                }
            }
        }
        return out
    }

    /// Spikes S ∈ {0, 1} of every timestep held as floats, `[timesteps · perStep]` (unfilled timesteps 0).
    /// Expands the bits on every call: loops read `spike(t:index:)` or `spikes(at:)` instead.
    public var spikes: [Float] {
        var out: [Float] = []
        out.reserveCapacity(timesteps * perStep)
        for t in firstStep..<(firstStep + timesteps) { out += spikes(at: t) }
        return out
    }

    /// Number of spikes at timestep t (all samples, channels, positions).
    public func spikeCount(at t: Int) -> Int {
        let w = wordsPerStep, base = word(t)
        var s = 0
        spikeBits.withUnsafeBufferPointer { p in for k in base..<(base + w) { s += p[k].nonzeroBitCount } }
        return s
    }

    /// Whether S at timestep t equals `other`'s (same layer shape).
    public func sameSpikes(as other: LIFRecord, at t: Int) -> Bool {
        let w = wordsPerStep, a = word(t), b = other.word(t)
        guard other.wordsPerStep == w, a >= 0, b >= 0, other.spikeBits.count >= b + w, spikeBits.count >= a + w else { return false }
        return spikeBits[a..<(a + w)] == other.spikeBits[b..<(b + w)]
    }

    /// Indices `0 ..< perStep` where S at t differs from `other`'s, in increasing order.
    public func spikeDifferences(from other: LIFRecord, at t: Int) -> [Int] {
        let w = wordsPerStep, a = word(t), b = other.word(t)
        var out: [Int] = []
        for k in 0..<w {
            var d = spikeBits[a + k] ^ other.spikeBits[b + k]
            while d != 0 {
                out.append(k * 64 + d.trailingZeroBitCount)
                d &= d - 1
            }
        }
        return out
    }

    /// Writes S at timestep t from `n` floats (nonzero: a spike).
    mutating func storeSpikes(t: Int, _ s: UnsafePointer<Float>) {
        let n = perStep, w = wordsPerStep, base = word(t)
        // 16 lanes at a time, branch-free (a data-dependent branch per neuron costs more than
        // the copy it replaces at 20 % firing): a lane's mask is all ones where S ≠ 0, so
        // masking the lane weights 2^i and summing gives those 16 bits.
        let weights = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
        spikeBits.withUnsafeMutableBufferPointer { bits in
            let out = bits.baseAddress! + base
            let full = n / 64
            for k in 0..<full {
                var word: UInt64 = 0
                for q in 0..<4 {
                    let v = UnsafeRawPointer(s + k * 64 + q * 16).loadUnaligned(as: SIMD16<Float>.self)
                    let lanes = SIMD16<UInt32>(truncatingIfNeeded: SIMD16<Int32>().replacing(with: -1, where: v .!= 0)) & weights
                    word |= UInt64(lanes.wrappedSum()) << UInt64(16 * q)
                }
                out[k] = word
            }
            if full < w {
                var word: UInt64 = 0
                for i in (full * 64)..<n where s[i] != 0 { word |= 1 << UInt64(i - full * 64) }
                out[full] = word
            }
        }
    }

    /// One of the recorded quantities as a tensor `[timesteps, B, shape...]` (the timesteps held).
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
        return n > 0 ? Double(spikeCount(at: t)) / Double(n) : 0
    }
}

/// Streams what a forward pass computes: every LIF's spikes (bit-packed) and, for the layers it
/// watches, X, H, V (and Ĥ); train-mode TSBN window statistics; named stream tensors
/// (`patch_embed.x_feat`, `block.0.out`, …); per-timestep firing rates; and, when asked, the
/// outputs of conv/norm units (for the equivalence check's real-valued fold comparison).
/// Recording is opt-in: a forward with no recorder records nothing and allocates nothing for it.
/// Recording never changes what the forward pass computes (outputs are bit-identical with or
/// without a recorder, at either level, whatever it watches).
public final class Recorder {
    /// How much a recorder keeps.
    public enum Level: Sendable {
        /// Spikes of every LIF; X, H, V (and Ĥ) of the watched LIFs; stream tensors, unit
        /// outputs (when enabled), windows, rates.
        case full
        /// Per LIF only S and the value compared with V_th (stored in `LIFRecord.h`; `x`, `v`
        /// empty), plus the per-timestep rates; no stream tensors or unit outputs. What a dataset
        /// evaluation needs to compare twins and count spikes.
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
    /// Whether the outputs of conv/norm units are kept (`unitOutputs`, for the equivalence
    /// check's local comparison of real-valued folds). The name is historical: unit *inputs*
    /// are no longer stored (nothing reads them; the check feeds the recorded spikes instead).
    public var recordUnitInputs: Bool
    /// Outputs of conv/norm units `[T, B, ...]` by unit path, when `recordUnitInputs`.
    public internal(set) var unitOutputs: [String: Tensor] = [:]
    /// Firing rate per timestep of named binary tensors (LIF outputs and derived spike tensors
    /// such as pooled maps and K⊙V) that feed AC layers (SPEC §9, R8); NaN where not yet computed.
    public internal(set) var rates: [String: [Double]] = [:]
    var rateTimesteps = 0
    /// The LIF layers whose X, H, V (and Ĥ) are kept: nil, every layer; else these paths
    /// (spikes are kept for all layers either way).
    public private(set) var watched: Set<String>?
    /// Whether only the timestep stored last is kept: every record, stream and unit output holds
    /// one timestep (the equivalence check streamed over t, `EquivalenceStream`), and each new
    /// timestep overwrites the previous one. Works with a forward run one timestep at a time.
    public let keepsLatestStepOnly: Bool
    /// Whether V (the membrane after reset) is kept for watched layers (the equivalence check
    /// reads X, H and Ĥ only).
    public let keepsResetMembrane: Bool
    /// Whether plain LIFs keep X (false: only max|X| per timestep, `LIFRecord.inputMaxAbs`, which is
    /// what the equivalence check reads of it). TSBN-LIFs always keep X.
    public let keepsPlainInputCurrent: Bool
    /// The timestep held at index 0 of the streams and unit outputs (0 unless `keepsLatestStepOnly`).
    public private(set) var firstHeldStep = 0

    /// - Parameters:
    ///   - recordUnitInputs: keep conv/norm unit outputs (`unitOutputs`), full level only.
    ///   - level: `.full` or `.spikes`.
    ///   - watching: LIF paths whose membranes are kept (nil: all).
    ///   - latestStepOnly: keep only the timestep stored last (`keepsLatestStepOnly`).
    ///   - resetMembrane: keep V (`keepsResetMembrane`).
    ///   - plainInputCurrent: keep X of plain LIFs (`keepsPlainInputCurrent`).
    public init(recordUnitInputs: Bool = false, level: Level = .full, watching: Set<String>? = nil, latestStepOnly: Bool = false,
                resetMembrane: Bool = true, plainInputCurrent: Bool = true) {
        self.recordUnitInputs = recordUnitInputs && level == .full
        self.level = level
        self.watched = watching
        self.keepsLatestStepOnly = latestStepOnly
        self.keepsResetMembrane = resetMembrane
        self.keepsPlainInputCurrent = plainInputCurrent
    }

    /// What the streamed equivalence check reads of the unfused twin (`EquivalenceStream`): the
    /// latest timestep only; spikes, X, H and Ĥ of every LIF, without V and with only max|X| for
    /// plain LIFs; no unit outputs (the check recomputes them).
    public static func heldTimestepForCheck() -> Recorder {
        Recorder(latestStepOnly: true, resetMembrane: false, plainInputCurrent: false)
    }

    /// Whether the LIF at `path` keeps its membranes.
    public func watches(_ path: String) -> Bool { watched?.contains(path) ?? true }

    /// Sets the watched LIF layers (nil: all). Layers no longer watched drop their X, H, V and Ĥ
    /// at once; newly watched layers get theirs from the next timestep recorded, so a caller
    /// that needs their past recomputes it (`Network.rerecord()`).
    public func watch(_ paths: Set<String>?) {
        watched = paths
        for p in lifOrder where lifs[p]?.hasMembranes == true && !watches(p) {
            var r = lifs.removeValue(forKey: p)!
            r.dropMembranes()
            lifs[p] = r
        }
    }

    /// Whether the LIF at `path` has X, H, V (and Ĥ) for every timestep recorded so far.
    public func hasMembranes(_ path: String) -> Bool {
        guard let r = lifs[path] else { return false }
        return r.hasMembranes && !staleMembranes.contains(path)
    }

    /// Layers whose membrane arrays were allocated after some of their timesteps were recorded
    /// (their earlier timesteps are zeros until recomputed).
    private var staleMembranes: Set<String> = []

    /// Bytes held by the recordings.
    public var bytes: Int {
        var n = 0
        for r in lifs.values { n += r.bytes }
        for t in streams.values { n += 4 * t.count }
        for t in unitOutputs.values { n += 4 * t.count }
        for r in rates.values { n += 8 * r.count }
        return n
    }

    /// Bytes the membranes (X, H, V, Ĥ) of the LIF at `path` take when watched.
    public func membraneBytes(_ path: String) -> Int {
        guard let r = lifs[path] else { return 0 }
        return 4 * r.timesteps * r.perStep * (r.isTSBNLIF ? 4 : 3)
    }

    /// Forgets everything (a new input).
    public func clear() {
        lifs = [:]; lifOrder = []; streams = [:]; streamOrder = []; windows = [:]; unitOutputs = [:]; rates = [:]
        staleMembranes = []
    }

    /// Marks every record as about to be recomputed from t = 0 (`Network.rerecord()`): watched
    /// layers get their arrays, and are complete again once the replay has run.
    func beginRerecord() {
        for p in lifOrder where watches(p) {
            guard var r = lifs.removeValue(forKey: p) else { continue }
            if !r.hasMembranes { r.allocateMembranes(compact: level == .spikes, resetMembrane: keepsResetMembrane) }
            lifs[p] = r
        }
        staleMembranes = []
    }

    func lif(_ path: String, shape: [Int], batch: Int, timesteps: Int, vThreshold: Float, hasHat: Bool) {
        if lifs[path] == nil {
            lifs[path] = LIFRecord(path: path, shape: shape, batch: batch, timesteps: keepsLatestStepOnly ? 1 : timesteps,
                                   vThreshold: vThreshold, hasHat: hasHat, compact: level == .spikes, membranes: level == .spikes || watches(path),
                                   resetMembrane: keepsResetMembrane, inputCurrent: keepsPlainInputCurrent)
            lifOrder.append(path)
        }
    }

    func setInitialMembrane(_ path: String, _ v: [Float]) {
        lifs[path]?.initialV = v
    }

    func storeLIF(_ path: String, t: Int, x: UnsafePointer<Float>, h: UnsafePointer<Float>, s: UnsafePointer<Float>,
                  v: UnsafePointer<Float>, hHat: UnsafePointer<Float>?) {
        guard var r = lifs.removeValue(forKey: path) else { return }
        defer { lifs[path] = r }
        if keepsLatestStepOnly {
            r.firstStep = t
            r.filled = []
        }
        let n = r.perStep, o = r.offset(at: t)
        r.storeSpikes(t: t, s)
        r.filled.insert(t)
        if level == .spikes {
            r.h.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: hHat ?? h, count: n) }
            return
        }
        guard watches(path) else { return }
        if !r.hasMembranes {
            r.allocateMembranes(compact: false, resetMembrane: keepsResetMembrane)
            if r.filled.count > 1 { staleMembranes.insert(path) }
        }
        if r.keepsInputCurrent {
            r.x.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: x, count: n) }
        } else {
            var m: Float = 0
            for i in 0..<n { m = max(m, abs(x[i])) }
            r.inputMaxAbs[o / max(n, 1)] = m
        }
        r.h.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: h, count: n) }
        if keepsResetMembrane { r.v.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: v, count: n) } }
        if let hHat, r.hHat != nil {
            r.hHat!.withUnsafeMutableBufferPointer { ($0.baseAddress! + o).update(from: hHat, count: n) }
        }
    }

    /// Stores timesteps `t0 ..< t0 + chunk.shape[0]` of a named `[T, B, ...]` stream tensor.
    /// The tensor is taken out of its table while written, so the write is in place (writing
    /// through the dictionary would copy the whole recording on every timestep).
    func storeStream(_ name: String, t0: Int, timesteps: Int, chunk: Tensor, into table: ReferenceWritableKeyPath<Recorder, [String: Tensor]>) {
        guard level == .full else { return }
        var (t0, timesteps) = (t0, timesteps)
        if keepsLatestStepOnly {
            firstHeldStep = t0
            (t0, timesteps) = (0, chunk.shape[0])
        }
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
