import RTFormer

/// A neuron pinned on the membrane trace: channel and flat position in its layer.
public struct NeuronPin: Sendable, Equatable, Hashable {
    public var channel: Int
    public var position: Int

    public init(channel: Int, position: Int) {
        self.channel = channel
        self.position = position
    }
}

/// One row of the raster pane: a neuron and its spikes over t.
public struct RasterRow: Sendable, Equatable {
    /// Channel and flat position of the neuron in its layer; row and column of the position.
    public var channel: Int
    public var position: Int
    public var y: Int
    public var x: Int
    /// S[t] for t = 0…T−1; nil where t is not computed yet.
    public var spikes: [Bool?]
    /// Spikes over the computed timesteps.
    public var count: Int
}

/// The raster pane (snnTorch `spikeplot.raster` style): neurons of the selected layer × t.
public struct RasterView: Sendable, Equatable {
    public var path: String
    /// Which neurons are rows: the selected channel's positions, or the k most active.
    public var mode: RasterRows
    /// Selected channel (channel mode) and the cursor's t.
    public var channel: Int
    public var t: Int
    public var timesteps: Int
    public var computedSteps: Int
    /// Neurons in the layer (per sample) and in one channel.
    public var neurons: Int
    public var rows: [RasterRow]
    /// Spikes per t over the shown rows (nil where not computed).
    public var perT: [Int?]
    /// Index in `rows` of the cursor's neuron, when shown.
    public var selectedRow: Int?
}

/// One pinned neuron's trace (membrane overlay).
public struct PinnedTrace: Sendable, Equatable {
    public var pin: NeuronPin
    public var y: Int
    public var x: Int
    /// The value the comparator sees per t (Ĥ or H); nil where not computed.
    public var values: [Float?]
    /// S[t]; nil where not computed.
    public var spikes: [Bool?]
}

// MARK: recording accessors (the one place that reads LIFRecord arrays for these panes)

extension LIFRecord {
    /// S[t] of the neuron at flat per-timestep index `i` (sample 0): true when it fired.
    func fired(t: Int, index i: Int) -> Bool { spikes[t * perStep + i] != 0 }

    /// The value compared with the threshold at t (Ĥ for an unfused TSBN-LIF, else H).
    func comparedValue(t: Int, index i: Int) -> Float { (hHat ?? h)[t * perStep + i] }
}

extension Session {
    /// The raster of the selected neuron layer in the current view's recording.
    /// - Throws: `noModel`, `notANeuron`, `notBuilt`, `noInput`.
    public func rasterView() throws -> RasterView {
        let (layer, r) = try selectedLIF(in: primaryRecorder)
        let lay = layout(of: layer)
        let steps = min(computedSteps, r.timesteps)
        func makeRow(_ c: Int, _ p: Int) -> RasterRow {
            let i = lay.index(channel: c, position: p)
            let s: [Bool?] = (0..<r.timesteps).map { $0 < steps ? r.fired(t: $0, index: i) : nil }
            return RasterRow(channel: c, position: p, y: p / lay.columns, x: p % lay.columns, spikes: s,
                             count: s.reduce(0) { $0 + ($1 == true ? 1 : 0) })
        }
        var rows: [RasterRow]
        switch rasterRows {
        case .channel:
            rows = (0..<lay.positions).map { makeRow(cursor.channel, $0) }
        case let .top(k):
            var counts: [(c: Int, p: Int, n: Int)] = []
            counts.reserveCapacity(lay.channels * lay.positions)
            for c in 0..<lay.channels {
                for p in 0..<lay.positions {
                    let i = lay.index(channel: c, position: p)
                    var n = 0
                    for t in 0..<steps where r.fired(t: t, index: i) { n += 1 }
                    counts.append((c, p, n))
                }
            }
            // Most spikes first; ties in channel-major order, so the choice is reproducible.
            counts.sort { ($0.n, -$0.c, -$0.p) > ($1.n, -$1.c, -$1.p) }
            rows = counts.prefix(k).map { makeRow($0.c, $0.p) }
        }
        let perT: [Int?] = (0..<r.timesteps).map { t in t < steps ? rows.reduce(0) { $0 + ($1.spikes[t] == true ? 1 : 0) } : nil }
        let selected = rows.firstIndex { $0.channel == cursor.channel && $0.position == cursor.position }
        return RasterView(path: layer.path, mode: rasterRows, channel: cursor.channel, t: cursor.t, timesteps: r.timesteps,
                          computedSteps: steps, neurons: lay.channels * lay.positions, rows: rows, perT: perT, selectedRow: selected)
    }

    /// The pinned neurons of the selected layer, in pinning order.
    public var selectedPins: [NeuronPin] { selectedLayer.map { pins[$0.path] ?? [] } ?? [] }

    /// Traces of the selected layer's pinned neurons in one twin (the membrane overlay).
    /// - Throws: as `membraneView(for:)`.
    public func pinnedTraces(for model: ModelFlavour) throws -> [PinnedTrace] {
        let recorder = model == .deploy ? deployRecorder : unfusedRecorder
        let pins = selectedPins
        guard !pins.isEmpty else { return [] }
        let (layer, r) = try selectedLIF(in: recorder)
        let lay = layout(of: layer)
        let steps = min(computedSteps, r.timesteps)
        return pins.filter { $0.channel < lay.channels && $0.position < lay.positions }.map { pin in
            let i = lay.index(channel: pin.channel, position: pin.position)
            return PinnedTrace(pin: pin, y: pin.position / lay.columns, x: pin.position % lay.columns,
                               values: (0..<r.timesteps).map { $0 < steps ? r.comparedValue(t: $0, index: i) : nil },
                               spikes: (0..<r.timesteps).map { $0 < steps ? r.fired(t: $0, index: i) : nil })
        }
    }

    func pin(_ action: PinAction) throws -> String {
        guard let l = selectedLayer else { throw SessionError.noModel }
        guard l.isNeuron else { throw SessionError.notANeuron(path: l.path, nextNeuron: nextNeuron(after: l.path)) }
        switch action {
        case .clear:
            let n = pins.values.reduce(0) { $0 + $1.count }
            pins = [:]
            return "unpinned \(n) neuron(s)"
        case .toggle:
            let p = NeuronPin(channel: cursor.channel, position: cursor.position)
            let lay = layout(of: l)
            let name = "c \(p.channel), y \(p.position / lay.columns), x \(p.position % lay.columns) of \(l.path)"
            if let i = pins[l.path]?.firstIndex(of: p) {
                pins[l.path]?.remove(at: i)
                if pins[l.path]?.isEmpty == true { pins[l.path] = nil }
                return "unpinned \(name)"
            }
            pins[l.path, default: []].append(p)
            return "pinned \(name) (\(pins[l.path]!.count) pinned on this layer)"
        }
    }

    func setRasterRows(_ rows: RasterRows) throws -> String {
        rasterRows = rows
        switch rows {
        case .channel: return "raster: the neurons of the selected channel"
        case let .top(k): return "raster: the \(k) most active neurons of the layer"
        }
    }
}
