/// The built prefix of a layer-by-layer build: the forward stops before the first layer past
/// index `last` (in the network's own `layers`).
struct BuildPrefix {
    /// Row of every layer path in the network's `layers`.
    let index: [String: Int]
    /// Row of the last built layer; −1 when only the input is built.
    let last: Int
}

/// Thrown inside a forward when it reaches a layer past the built prefix; `Network.advance`
/// catches it (never seen outside the engine).
struct BuildStop: Error {
    /// The first layer not built.
    let path: String
}

/// A layer-by-layer build (issue 14): a network runs only the prefix of its layers that is built.
///
/// The prefix is given as the set of built layer paths of the *unfused* model, so the two twins
/// stop at the same point of the graph: the deploy twin runs up to its last layer whose path is
/// in the set (the norms and RepDW5 branches it has folded away are simply absent from it).
/// Every layer of the prefix computes exactly what it computes in the full forward (the same
/// operations in the same order; the forward only ends earlier), so its recordings are
/// bit-identical to the full forward's.
extension Network {
    /// Limits the forward to the layers whose path is in `builtPaths`: a layer past the last such
    /// layer (in this network's order) is not computed, and there are no logits while the head
    /// is not built. nil runs the whole model (the default). Applies to `start`/`advance` from
    /// the next `start`; `forward` (calibration, whole-input checks) always runs the whole model.
    /// - Parameter builtPaths: module paths (SPEC R1) of the built layers; empty: only the input.
    public func setBuildPrefix(_ builtPaths: Set<String>?) {
        guard let builtPaths else { buildPrefix = nil; return }
        var index: [String: Int] = [:]
        var last = -1
        for (i, l) in layers.enumerated() {
            if index[l.path] == nil { index[l.path] = i }
            if builtPaths.contains(l.path) { last = max(last, i) }
        }
        buildPrefix = last >= layers.count - 1 ? nil : BuildPrefix(index: index, last: last)
    }

    /// Whether the forward runs only a built prefix of the layers (`setBuildPrefix`).
    public var isPartiallyBuilt: Bool { buildPrefix != nil }

    /// Layers computed inside the unit of the layer before them rather than on their own: the
    /// norm after a conv or linear (`…_tsbn`, `…_bn`, the RepDW5 identity TSBN). A build step
    /// that adds a conv adds its norm with it.
    public var companionLayerPaths: Set<String> {
        Set(convUnits.compactMap(\.normPath))
    }
}
