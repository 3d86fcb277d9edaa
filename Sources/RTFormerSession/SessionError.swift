/// Why a command could not run, rendered as one line that says what was expected and what was found.
public enum SessionError: Error, Equatable, CustomStringConvertible {
    case noModel
    case noInput
    /// A layer-by-layer build has not reached the layer yet.
    case notBuilt(path: String)
    /// A view that needs every layer during a layer-by-layer build.
    case buildIncomplete(what: String, built: Int, total: Int)
    case noDeployTwin(reason: String)
    case unreadable(path: String, reason: String)
    case inputShape(input: String, found: [Int], expected: String)
    case indexOutOfRange(input: String, index: Int, count: Int)
    case timestepsFixedByWeights(model: String, weights: Int, requested: Int)
    case lastTimestep(t: Int)
    case timestepOutOfRange(t: Int, timesteps: Int)
    case unknownLayer(String, suggestions: [String])
    case ambiguousLayer(String, matches: [String])
    case layerIndexOutOfRange(index: Int, count: Int)
    case notANeuron(path: String, nextNeuron: String?)
    case notATSBN(path: String)
    case channelOutOfRange(path: String, channel: Int, channels: Int)
    case positionOutOfRange(path: String, what: String, limit: String)
    case notComputed(t: Int)
    case expectationFailed(expectation: String, actual: String)
    case badExpectation(expectation: String, reason: String)
    case noDefaultInput
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .noModel: return "no model: start with `model tiny` (or another config name / JSON file)"
        case let .notBuilt(path): return "\(path) is not built yet: `build next`, `build \(path)` or `build all`"
        case let .buildIncomplete(what, built, total):
            return "\(what) cannot be shown yet: \(built) of \(total) layers are built (`build all` completes the model)"
        case .noInput: return "no input: load one with `input <file> [index N]` or `input default`"
        case let .noDeployTwin(reason): return "no deploy twin: \(reason)"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .inputShape(input, found, expected): return "\(input): shape \(found) does not fit: expected \(expected)"
        case let .indexOutOfRange(input, index, count): return "\(input): index \(index) out of range: the file holds \(count) samples (0…\(count - 1))"
        case let .timestepsFixedByWeights(model, weights, requested):
            return "T \(requested) does not fit model '\(model)': its loaded weights were trained with T = \(weights) (TSBN parameters are per t)"
        case let .lastTimestep(t): return "already at the last timestep t = \(t): `back`, `goto t=<k>` or `reset`"
        case let .timestepOutOfRange(t, timesteps): return "timestep \(t) out of range: expected 0…\(timesteps - 1)"
        case let .unknownLayer(name, suggestions):
            return "no layer '\(name)'" + (suggestions.isEmpty ? "" : ": did you mean \(suggestions.joined(separator: ", "))?")
        case let .ambiguousLayer(name, matches): return "layer '\(name)' is ambiguous: \(matches.joined(separator: ", "))"
        case let .layerIndexOutOfRange(index, count): return "layer index \(index) out of range: expected 0…\(count - 1)"
        case let .notANeuron(path, next):
            return "layer \(path) is not a spiking neuron" + (next.map { ": try `layer \($0)`" } ?? "")
        case let .notATSBN(path): return "layer \(path) has no TSBN (select a TSBN, or a TSBN-LIF for its membrane TSBN)"
        case let .channelOutOfRange(path, channel, channels): return "channel \(channel) out of range for \(path): expected 0…\(channels - 1)"
        case let .positionOutOfRange(path, what, limit): return "\(what) out of range for \(path): expected \(limit)"
        case let .notComputed(t): return "timestep \(t) is not computed yet: `step` or `goto t=\(t)`"
        case let .expectationFailed(expectation, actual): return "expectation failed: \(expectation) (actual: \(actual))"
        case let .badExpectation(expectation, reason): return "expect \(expectation): \(reason)"
        case .noDefaultInput: return "no default input in this session: give a file, e.g. `input cifar10_test_first10.bin index 0`"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}
