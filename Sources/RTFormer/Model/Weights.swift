import Foundation

/// A PyTorch-style state_dict: tensors by key (SPEC §6.4, §7.1, §7.2, R14).
public typealias StateDict = [String: Tensor]

/// Which form of the model a checkpoint or network is.
public enum ModelFlavour: String, Sendable, Equatable {
    /// The trained (training-time) model: branches, norms, TSBN_mem.
    case unfused
    /// The re-parameterized model: fused kernels, per-(t,c) affines and thresholds (SPEC §6.3, R14).
    case deploy
}

/// Why a checkpoint does not fit a model.
public enum WeightLoadError: Error, Equatable, CustomStringConvertible {
    /// Missing, unexpected and mis-shaped keys, all listed by name.
    case mismatch(file: String, model: String, missing: [String], unexpected: [String], misShaped: [String])
    /// A deploy checkpoint given to an unfused model, or the reverse.
    case wrongFlavour(file: String, model: String, expected: ModelFlavour, found: ModelFlavour)
    /// Per-timestep parameters (TSBN, deploy affines) were trained for another T.
    case timesteps(file: String, model: String, weights: Int, modelTimesteps: Int)

    public var description: String {
        switch self {
        case let .mismatch(file, model, missing, unexpected, misShaped):
            var parts: [String] = []
            // Many keys off, shapes among them: the file is another configuration altogether
            // (other widths or depth), and a few keys per kind say so better than a dozen.
            let otherConfiguration = !misShaped.isEmpty && missing.count + unexpected.count + misShaped.count > 12
            let limit = otherConfiguration ? 3 : 12
            func list(_ keys: [String]) -> String {
                let shown = keys.prefix(limit).joined(separator: ", ")
                return keys.count > limit ? shown + ", … (\(keys.count) in all)" : shown
            }
            if !missing.isEmpty { parts.append("missing \(missing.count): \(list(missing))") }
            if !unexpected.isEmpty {
                // For each unexpected key shown, the closest missing key: a renamed module.
                let hinted = unexpected.enumerated().map { i, k -> String in
                    guard i < limit, let near = closestKey(to: k, among: missing) else { return k }
                    return "\(k) — did you mean \(near)?"
                }
                parts.append("unexpected \(unexpected.count): \(list(hinted))")
            }
            if !misShaped.isEmpty { parts.append("wrong shape \(misShaped.count): \(list(misShaped))") }
            let lead = otherConfiguration ? "the file holds another configuration (other widths or depth): " : ""
            return "\(file): does not fit model '\(model)': " + lead + parts.joined(separator: "; ")
        case let .timesteps(file, model, weights, t):
            return "\(file): weights were trained with T = \(weights), model '\(model)' has T = \(t) (TSBN parameters are per timestep: use T = \(weights))"
        case let .wrongFlavour(file, model, expected, found):
            let hint = found == .deploy
                ? "it holds fused weights (scale/shift, theta, fused stcore.rep.weight); load it as a deploy model"
                : "it holds unfused weights (TSBN/BN, RepDW5 branches); convert it with `rtformer convert` first"
            return "\(file): is a \(found.rawValue) checkpoint but model '\(model)' expects \(expected.rawValue): \(hint)"
        }
    }
}

/// Deterministic random numbers (SplitMix64): seeded initialisation, benchmarks and tests.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Uniform in [-1, 1), 24 random bits.
    public mutating func signedUnit() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }

    /// `n` values uniform in [-1, 1).
    public mutating func signedUnitValues(_ n: Int) -> [Float] { (0..<n).map { _ in signedUnit() } }

    /// A tensor of values uniform in [-1, 1).
    public mutating func uniformTensor(_ shape: [Int]) -> Tensor { Tensor(shape: shape, storage: signedUnitValues(shape.product)) }

    /// 0/1 spikes firing with probability `rate`.
    public mutating func spikeTensor(_ shape: [Int], rate: Float) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.product).map { _ in (signedUnit() + 1) / 2 < rate ? 1 : 0 })
    }
}

/// How a parameter starts when no checkpoint is loaded (SPEC R12).
enum ParameterInit {
    /// timm `trunc_normal_(std)`, truncated at ±2 (absolute, as timm does).
    case truncNormal(std: Double)
    /// PyTorch's default Linear/Conv init: kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias.
    case kaimingUniform(fanIn: Int)
    case constant(Float)
}

/// Supplies tensors to the model walk, from a checkpoint or from seeded init, and collects what
/// did not fit (strict loading, SPEC decision 7).
struct WeightSource {
    let provided: StateDict?
    var rng: SeededRandom
    private(set) var requested: [ParameterInfo] = []
    private(set) var values: [(String, Tensor)] = []
    private(set) var missing: [String] = []
    private(set) var misShaped: [String] = []
    /// `num_batches_tracked` buffers absent from the checkpoint, set to 0: they do not affect
    /// inference (BN/TSBN momentum is fixed), so their absence is a note, not an error.
    private(set) var defaulted: [String] = []

    init(provided: StateDict?, seed: UInt64) {
        self.provided = provided
        self.rng = SeededRandom(seed: seed)
    }

    mutating func take(_ key: String, _ shape: [Int], _ initial: ParameterInit, isParameter: Bool = true,
                       optional: Bool = false) -> Tensor {
        requested.append(ParameterInfo(key: key, shape: shape, isParameter: isParameter))
        let t: Tensor
        if let provided, optional, provided[key] == nil {
            t = make(shape, initial)
        } else if let provided {
            if let p = provided[key] {
                if p.shape == shape || (p.count == shape.product && shape.count <= 1 && p.rank <= 1) {
                    t = p.reshaped(shape)
                } else {
                    misShaped.append("\(key) (expected \(shape), found \(p.shape))")
                    t = Tensor(shape: shape)
                }
            } else if key.hasSuffix(".num_batches_tracked") {
                defaulted.append(key)
                t = Tensor(shape: shape)
            } else {
                missing.append(key)
                t = Tensor(shape: shape)
            }
        } else {
            t = make(shape, initial)
        }
        values.append((key, t))
        return t
    }

    private mutating func make(_ shape: [Int], _ initial: ParameterInit) -> Tensor {
        let n = shape.product
        var out = [Float](repeating: 0, count: n)
        switch initial {
        case let .truncNormal(std):
            for i in 0..<n {
                var v = rng.normal() * std
                while abs(v) > 2 { v = rng.normal() * std }
                out[i] = Float(v)
            }
        case let .kaimingUniform(fanIn):
            // kaiming_uniform_(a=√5) gives bound = sqrt(6/((1+a²)·fan_in)) = 1/sqrt(fan_in).
            let bound = 1 / Double(max(fanIn, 1)).squareRoot()
            for i in 0..<n { out[i] = Float((rng.uniform() * 2 - 1) * bound) }
        case let .constant(c):
            for i in 0..<n { out[i] = c }
        }
        return Tensor(shape: shape, storage: out)
    }
}

/// Keys that mark a checkpoint as deploy (re-parameterized) rather than unfused (SPEC R14).
public func checkpointFlavour(_ dict: StateDict) -> ModelFlavour? {
    let keys = dict.keys
    if keys.contains(where: { $0.hasSuffix(".theta") || $0.hasSuffix(".scale") || $0.hasSuffix(".fire_const") || $0 == "patch_embed.stcore.rep.weight" }) {
        return .deploy
    }
    if keys.contains(where: { $0.contains("_tsbn.") || $0.contains("_bn.") || $0.contains(".tsbn.") || $0.contains("stcore.rep.k33") }) {
        return .unfused
    }
    return nil
}

/// The key of `candidates` nearest to `key` by edit distance, when it is near enough to be a
/// plausible renaming (at most a third of the longer key's characters differ); nil otherwise.
/// Used for "did you mean …?" in strict-load errors.
public func closestKey(to key: String, among candidates: [String]) -> String? {
    let a = Array(key.utf8)
    var best: (String, Int)?
    for c in candidates {
        let b = Array(c.utf8)
        let limit = max(a.count, b.count) / 3
        guard abs(a.count - b.count) <= limit else { continue }
        let d = editDistance(a, b)
        if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
}

/// Levenshtein distance of two byte strings (insert, delete, substitute each cost 1).
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
