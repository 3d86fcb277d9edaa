import Foundation
import RTFormer

/// Moving the cursor: layer, channel, neuron, token (the attention head and token are in
/// `Session+Attention`). Moving to a neuron layer whose membranes are not recorded recomputes
/// them (`LockstepRun.ensureMembranes`).
extension Session {
    func selectLayer(_ sel: LayerSelector) throws -> String {
        guard let unfused else { throw SessionError.noModel }
        let layers = unfused.layers
        switch sel {
        case .next: cursor.layerIndex = min(layers.count - 1, cursor.layerIndex + 1)
        case .prev: cursor.layerIndex = max(0, cursor.layerIndex - 1)
        case let .index(i):
            guard i < layers.count else { throw SessionError.layerIndexOutOfRange(index: i, count: layers.count) }
            cursor.layerIndex = i
        case let .path(p):
            cursor.layerIndex = try Self.findLayer(p, in: layers)
        }
        clampCursor()
        let l = layers[cursor.layerIndex]
        var out = "layer \(cursor.layerIndex) \(l.path): \(l.kind) \(Fmt.shape(l.outputShape))"
        if l.isNeuron, let seconds = try ensureMembranes(l.path) {
            // Short enough for an 80-column message row after a long path.
            out += String(format: " · membranes recomputed in %.2f s (%d t)", seconds, computedSteps)
        }
        return out
    }

    /// Index of the layer with path `p`, or with a unique path suffix `.p`.
    static func findLayer(_ p: String, in layers: [LayerInfo]) throws -> Int {
        if let i = layers.firstIndex(where: { $0.path == p }) { return i }
        let matches = layers.indices.filter { layers[$0].path.hasSuffix("." + p) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw SessionError.ambiguousLayer(p, matches: matches.map { layers[$0].path }) }
        let last = p.split(separator: ".").last.map(String.init) ?? p
        let suggestions = layers.map(\.path).filter { $0.contains(last) }.prefix(5)
        throw SessionError.unknownLayer(p, suggestions: Array(suggestions))
    }

    /// Layout of the selected layer's output (per sample).
    public func layout(of layer: LayerInfo) -> NeuronLayout {
        NeuronLayout(shape: layer.outputShape, path: layer.path, family: config?.family ?? .rtformer)
    }

    func clampCursor() {
        guard let l = selectedLayer else { return }
        let lay = layout(of: l)
        cursor.channel = min(cursor.channel, lay.channels - 1)
        cursor.position = min(cursor.position, lay.positions - 1)
    }

    func selectChannel(_ c: Int) throws -> String {
        guard let l = selectedLayer else { throw SessionError.noModel }
        let lay = layout(of: l)
        guard c < lay.channels else { throw SessionError.channelOutOfRange(path: l.path, channel: c, channels: lay.channels) }
        cursor.channel = c
        return "channel \(c) of \(l.path)"
    }

    func selectNeuron(channel: Int?, y: Int, x: Int) throws -> String {
        guard let l = selectedLayer else { throw SessionError.noModel }
        let lay = layout(of: l)
        if let channel {
            guard channel < lay.channels else { throw SessionError.channelOutOfRange(path: l.path, channel: channel, channels: lay.channels) }
        }
        guard y < lay.rows, x < lay.columns else {
            throw SessionError.positionOutOfRange(path: l.path, what: "y,x = \(y),\(x)", limit: "y < \(lay.rows), x < \(lay.columns)")
        }
        if let channel { cursor.channel = channel }
        cursor.position = y * lay.columns + x
        return "neuron c \(cursor.channel), y \(y), x \(x) of \(l.path)"
    }

    func selectToken(_ n: Int) throws -> String {
        guard let l = selectedLayer else { throw SessionError.noModel }
        let lay = layout(of: l)
        // The attention pane's token too, when the model has attention blocks (issue 14).
        if let g = attentionGeometry(), n < g.tokens { cursor.token = n }
        guard n < lay.positions else {
            if let g = attentionGeometry(), n < g.tokens { return "attention token \(n) of \(g.block)" }
            throw SessionError.positionOutOfRange(path: l.path, what: "token \(n)", limit: "0…\(lay.positions - 1)")
        }
        cursor.position = n
        return "token \(n) of \(l.path)"
    }
}
