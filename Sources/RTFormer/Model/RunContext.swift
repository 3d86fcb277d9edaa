/// Whether norms use running statistics (eval) or batch/window statistics with a running update (train).
public enum ForwardMode: String, Sendable {
    case eval, train
}

/// What a forward pass needs besides the data: mode, recorder, timestep offset of the chunk.
struct RunContext {
    var mode: ForwardMode
    var recorder: Recorder?
    /// First timestep of the chunk being computed.
    var t0: Int
    /// Timesteps in the chunk.
    var steps: Int
    var batch: Int
    var timesteps: Int
    /// Set for the local-origin run of the equivalence check: every LIF fires the deploy way on
    /// the deploy input current and the unfused membrane, and passes the unfused spikes on
    /// (`LocalOriginCheck`).
    var teacher: LocalOriginCheck? = nil
    /// The built prefix of a layer-by-layer build (`Network.buildLimit`); nil: the whole model.
    var limit: BuildPrefix? = nil
    /// The input is a static image repeated over T (`InputKind.staticImage`): the encoding layer
    /// computes its conv on the first slice it sees and reuses it (`ConvUnit.isEncoding`).
    var staticInput = false

    /// Called before a layer computes: stops the forward (throws `BuildStop`) when `path` lies
    /// beyond the built prefix. Paths that are not layers of the model pass.
    func enter(_ path: String) throws {
        if let limit, let i = limit.index[path], i > limit.last { throw BuildStop(path: path) }
    }

    func recordRate(_ name: String, _ chunk: Tensor) {
        recorder?.rate(name, t0: t0, steps: steps, chunk: chunk)
    }
}
