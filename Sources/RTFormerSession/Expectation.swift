/// An `expect <query> <op> <value>` assertion (DESIGN §4).
public struct Expectation: Equatable, Sendable {
    public var query: Query
    public var op: ComparisonOperator
    /// The right-hand side as written: a number compares numerically, anything else as text.
    public var value: String

    public init(query: Query, op: ComparisonOperator, value: String) {
        self.query = query
        self.op = op
        self.value = value
    }

    /// Whether `actual` satisfies the assertion. Numbers compare numerically; text only with `==`/`!=`.
    public func holds(for actual: QueryValue) -> Bool {
        switch actual {
        case let .number(a):
            guard let b = Double(value) else { return false }
            return op.compare(a, b)
        case let .text(a):
            if let x = Double(a), let y = Double(value) { return op.compare(x, y) }
            switch op {
            case .equal: return a == value
            case .notEqual: return a != value
            default: return false
            }
        case .unavailable:
            return false
        }
    }
}

/// What an `expect` can ask about (DESIGN §4). `help expect` lists them with their meaning.
public enum Query: String, Sendable, Equatable, CaseIterable {
    case t = "t"
    case timesteps = "T"
    case layer = "layer"
    case view = "view"
    case fold = "fold"
    case mode = "mode"
    case params = "params"
    case deployParams = "params.deploy"
    case rate = "rate"
    case rateMean = "rate.mean"
    case spikes = "spikes"
    case computed = "computed"
    case channel = "channel"
    case diffStructural = "diff.structural"
    case diffRounding = "diff.rounding"
    case diffMismatches = "diff.mismatches"
    case diffLocalStructural = "diff.local.structural"
    case diffLocalRounding = "diff.local.rounding"
    case diffFirstLayer = "diff.first.layer"
    case diffFirstT = "diff.first.t"
    case diffVerdict = "diff.verdict"
    case diffRoundingFlips = "diff.origins.rounding"
    case diffStructuralOrigins = "diff.origins.structural"
    case diffPropagated = "diff.propagated"
    case diffOriginLayer = "diff.origin.layer"
    case energyMJ = "energy.mJ"
    case energyUJ = "energy.uJ"
    case sop = "sop"
    case logitsTop1 = "logits.top1"
    case inputLabel = "input.label"
    case tsbnWindow = "tsbn.window"
    case tsbnMean = "tsbn.mean"
    case tsbnVariance = "tsbn.var"
    case tsbnNegativeGamma = "tsbn.gamma.nonpositive"
    case theta = "theta"
    case membrane = "membrane"
    case memoryBytes = "memory.bytes"
    case built = "built"
    case shape = "shape"
    case buildMismatches = "build.mismatches"

    /// One line for `help expect`.
    public var summary: String {
        switch self {
        case .t: return "current timestep (0-based)"
        case .timesteps: return "timesteps T of the model"
        case .layer: return "module path of the selected layer"
        case .view: return "unfused | deploy | split"
        case .fold: return "exact | paper"
        case .mode: return "eval | train"
        case .params: return "parameters of the unfused model"
        case .deployParams: return "parameters of the deploy twin (norms folded in)"
        case .rate: return "firing rate of the selected LIF layer at t (all positions, channels)"
        case .rateMean: return "firing rate of the selected LIF layer averaged over 0…t"
        case .spikes: return "spike count of the selected LIF layer at t"
        case .computed: return "timesteps computed so far"
        case .channel: return "selected channel"
        case .diffStructural: return "end-to-end structural spike mismatches over the computed run"
        case .diffRounding: return "end-to-end spike mismatches near the threshold (within rounding)"
        case .diffMismatches: return "end-to-end spike mismatches, all classes"
        case .diffLocalStructural: return "local structural mismatches summed over TSBN-LIFs"
        case .diffLocalRounding: return "local rounding mismatches summed over TSBN-LIFs"
        case .diffFirstLayer: return "first divergent layer end to end (or none)"
        case .diffFirstT: return "timestep of the first divergence (or none)"
        case .diffVerdict: return "equivalent | equivalent_up_to_rounding | not_equivalent (issue 11)"
        case .diffRoundingFlips: return "local origins within the rounding bound, every spiking layer"
        case .diffStructuralOrigins: return "local origins beyond the rounding bound, every spiking layer"
        case .diffPropagated: return "end-to-end mismatches attributed to an origin"
        case .diffOriginLayer: return "layer of the first structural origin, else of the first origin (or none)"
        case .energyMJ: return "energy of the computed timesteps, millijoules"
        case .energyUJ: return "the same in microjoules"
        case .sop: return "synaptic operations of the computed timesteps"
        case .logitsTop1: return "class index with the largest logit"
        case .inputLabel: return "label of the input, where known"
        case .tsbnWindow: return "timesteps in the TSBN window at t (selected TSBN layer)"
        case .tsbnMean: return "window (train) or running (eval) mean of the selected channel at t"
        case .tsbnVariance: return "window (train) or running (eval) variance of the selected channel at t"
        case .tsbnNegativeGamma: return "channels with γ(t) ≤ 0 at t (selected TSBN layer)"
        case .theta: return "threshold of the selected neuron at t (θ[t,c] in deploy view, V_th otherwise)"
        case .membrane: return "membrane H of the selected neuron at t"
        case .memoryBytes: return "bytes held by the recordings"
        case .built: return "layers built (the whole layer table unless a `build` walk is under way)"
        case .shape: return "output shape of the selected layer per timestep and sample, e.g. [8,32,32]"
        case .buildMismatches: return "recorded values (S, H, V of every built LIF, computed timesteps) differing from the full forward's"
        }
    }
}

/// A comparison of `expect`.
public enum ComparisonOperator: String, Sendable, Equatable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    /// Applies the comparison to two numbers.
    public func compare(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// The current value of a query.
public enum QueryValue: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case text(String)
    /// Not defined in the current state (with the reason).
    case unavailable(String)

    public var description: String {
        switch self {
        case let .number(x):
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return String(x)
        case let .text(s): return s
        case let .unavailable(why): return "unavailable (\(why))"
        }
    }
}
