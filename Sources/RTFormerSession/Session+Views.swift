import RTFormer

/// The view models the panes draw, computed from the recordings on demand.
extension Session {
    /// The status line as values.
    public func statusView() -> StatusView {
        StatusView(model: config?.name, weights: weightOrigin, input: input?.name, t: cursor.t, timesteps: config?.timesteps ?? 0,
                   computedSteps: computedSteps, view: view, fold: fold, neuronState: neuronState, layer: selectedLayer?.path,
                   memoryBytes: memoryBytes)
    }

    /// The layer table: shape, params, FL, SOPs, rate at t, deploy marker for every layer.
    /// - Throws: `SessionError.noModel`.
    public func layerTable() throws -> LayerTableView {
        guard let unfused else { throw SessionError.noModel }
        // The twin's layers by path and its parameter count; nil without a twin (every marker `unknown`).
        let twin: (layers: [String: LayerInfo], parameters: Int)?
        switch deployAvailability {
        case let .available(net):
            twin = (Dictionary(net.layers.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a }), net.parameterCount)
        case .unavailable:
            twin = nil
        }
        let rec = unfusedRecorder
        var rows: [LayerRow] = []
        for (i, l) in unfused.layers.enumerated() {
            var sop: Double? = nil
            if let src = l.rateSource, let r = rec.rates[src] {
                sop = (0..<min(computedSteps, r.count)).reduce(0.0) { $0 + r[$1] * Double(l.flPerTimestep) }
            }
            let marker: DeployMarker
            if let twin {
                marker = twin.layers[l.path].map { $0.isFolded ? .folded : .same } ?? .absorbed
            } else {
                marker = .unknown
            }
            rows.append(LayerRow(index: i, path: l.path, kind: l.kind, outputShape: l.outputShape, parameters: l.parameterCount,
                                 flPerTimestep: l.flPerTimestep, operation: l.operation, sop: sop,
                                 rate: try? rate(of: l, at: cursor.t, in: rec), isNeuron: l.isNeuron, built: builtLayers.map { i < $0 } ?? true,
                                 deploy: marker))
        }
        return LayerTableView(rows: rows, selected: cursor.layerIndex, t: cursor.t, view: view, parameters: unfused.parameterCount,
                              deployParameters: twin?.parameters)
    }

    /// The membrane pane of the selected neuron layer in one model.
    /// - Parameter model: `.unfused` or `.deploy` (the twin must exist).
    /// - Throws: `noModel`, `noInput`, `noDeployTwin`, `notANeuron`.
    public func membraneView(for model: ModelFlavour) throws -> MembraneView {
        let recorder: Recorder
        let net: Network
        switch model {
        case .unfused:
            guard let u = unfused else { throw SessionError.noModel }
            recorder = unfusedRecorder; net = u
        case .deploy:
            recorder = deployRecorder; net = try requireDeploy()
        }
        if let l = selectedLayer, l.isNeuron { try ensureMembranes(l.path) }
        let (layer, r) = try selectedLIF(in: recorder)
        let lay = layout(of: layer)
        let c = cursor.channel, s = cursor.position, t = cursor.t
        let n = r.perStep
        guard t < computedSteps else { throw SessionError.notComputed(t: t) }
        var h: [Float] = [], v: [Float] = [], spikes: [Bool] = []
        for p in 0..<lay.positions {
            let j = lay.index(channel: c, position: p), i = t * n + j
            h.append(r.h[i]); v.append(r.v[i]); spikes.append(r.spike(t: t, index: j))
        }
        // A folded deploy neuron compares the raw H with θ[t, c] (sign-aware); the others compare
        // Ĥ (TSBN-LIF) or H with V_th.
        var trace: [TracePoint] = []
        for k in 0..<r.timesteps {
            guard k < computedSteps else {
                trace.append(TracePoint(t: k, computed: false, sign: 1))
                continue
            }
            let i = k * n + lay.index(channel: c, position: s)
            let (threshold, sg) = net.threshold(of: layer.path, t: k, channel: c) ?? (r.vThreshold, 1)
            trace.append(TracePoint(t: k, computed: true, x: r.x[i], h: r.h[i], compared: r.hHat?[i] ?? r.h[i], v: r.v[i],
                                    spike: r.spike(flat: i), threshold: threshold, sign: sg))
        }
        // Neurons within the rounding bound of their threshold (issue 11), judged on the unfused
        // margin as the equivalence check does, whichever twin is shown.
        var near: [Bool] = []
        var bound: Float?
        if let u = unfused, let ru = unfusedRecorder.lifs[layer.path], ru.filled.contains(t) {
            let bounds = RoundingBound.bounds(record: ru, t: t, tsbn: u.membraneTSBN(of: layer.path))
            let b = bounds.count == 1 ? bounds[0] : bounds[min(c, bounds.count - 1)]
            let compared = ru.hHat ?? ru.h
            near = (0..<lay.positions).map { abs(compared[t * n + lay.index(channel: c, position: $0)] - ru.vThreshold) <= b }
            bound = b
        }
        return MembraneView(model: model, path: layer.path, kind: net.layers.first { $0.path == layer.path }?.kind ?? layer.kind,
                            t: t, channel: c, position: s, y: s / lay.columns, x: s % lay.columns, rows: lay.rows,
                            columns: lay.columns, h: h, v: v, spikes: spikes, trace: trace,
                            comparedQuantity: r.hHat != nil ? "Ĥ = a·H + b" : "H", nearThreshold: near, roundingBound: bound)
    }

    /// The TSBN of the selected layer: itself (TSBN_pre), or `<lif>.tsbn` of a TSBN-LIF.
    func selectedTSBN() throws -> (path: String, lifPath: String?, tsbn: TSBN) {
        guard let unfused, let l = selectedLayer else { throw SessionError.noModel }
        let path: String
        var lifPath: String? = nil
        if l.isNeuron {
            path = l.path + ".tsbn"
            lifPath = l.path
        } else {
            path = l.path
        }
        guard let tsbn = unfused.tsbn(at: path) else { throw SessionError.notATSBN(path: l.path) }
        return (path, lifPath, tsbn)
    }

    /// The TSBN pane at the cursor's t for the selected TSBN or TSBN-LIF.
    /// - Throws: `notATSBN` for other layers.
    public func tsbnView() throws -> TSBNView {
        let (path, lifPath, tsbn) = try selectedTSBN()
        let t = cursor.t
        let windowRecord = unfusedRecorder.windows[path]?.first { $0.t == t }
        let (a, b) = tsbn.affine(at: t)
        var fold: ThresholdFold? = nil
        if let lifPath {
            let vth = unfusedRecorder.lifs[lifPath]?.vThreshold ?? 1
            if view == .deploy, let deployed = deploy?.thresholdFold(of: lifPath) {
                fold = deployed
            } else {
                fold = ThresholdFold(tsbn: tsbn, vThreshold: vth, mode: self.fold)
            }
        }
        var rows: [TSBNChannelRow] = []
        for c in 0..<tsbn.channels {
            let i = t * tsbn.channels + c
            let gamma = tsbn.weight[i]
            rows.append(TSBNChannelRow(channel: c, gamma: gamma, beta: tsbn.bias[i],
                                       mean: windowRecord?.mean[c] ?? tsbn.runningMean[i],
                                       variance: windowRecord?.variance[c] ?? tsbn.runningVar[i],
                                       scale: a[c], shift: b[c], theta: fold?.theta[i], sign: fold?.sign[i], flagged: gamma <= 0))
        }
        return TSBNView(path: path, lifPath: lifPath, t: t, windowLength: tsbn.window, window: Array(tsbn.windowRange(at: t)),
                        statistics: windowRecord == nil ? "running" : "window", fold: self.fold, channels: rows,
                        nonPositiveGammaChannels: rows.filter(\.flagged).map(\.channel))
    }

    /// The rates pane of the selected neuron layer in the current view's model.
    public func ratesView() throws -> RatesView {
        let (layer, r) = try selectedLIF(in: primaryRecorder)
        let lay = layout(of: layer)
        let t = cursor.t
        guard t < computedSteps else { throw SessionError.notComputed(t: t) }
        var positionMap = [Double](repeating: 0, count: lay.positions)
        var channelRates = [Double](repeating: 0, count: lay.channels)
        let spikes = r.spikes(at: t)
        for c in 0..<lay.channels {
            for p in 0..<lay.positions {
                let s = Double(spikes[lay.index(channel: c, position: p)])
                positionMap[p] += s
                channelRates[c] += s
            }
        }
        return RatesView(path: layer.path, t: t, rows: lay.rows, columns: lay.columns,
                         positionMap: positionMap.map { $0 / Double(lay.channels) },
                         channelRates: channelRates.map { $0 / Double(lay.positions) },
                         perT: (0..<r.timesteps).map { $0 < computedSteps ? r.firingRate(at: $0) : nil })
    }

    /// The logits pane of the current view's model (the unfused one in split view).
    /// - Throws: `noModel`, `noDeployTwin` (deploy view without a twin), `noInput`, and
    ///   `requireWholeModel`'s error while `build` is partway.
    public func logitsView() throws -> LogitsView {
        let net: Network
        switch view {
        case .deploy: net = try requireDeploy()
        case .unfused, .split:
            guard let unfused else { throw SessionError.noModel }
            net = unfused
        }
        try requireWholeModel("the logits")
        guard let logits = net.logits else { throw SessionError.noInput }
        let row = Array(logits.storage.prefix(logits.shape.last ?? logits.count))
        let (names, warning) = outputClassNames
        let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
        let top: [LogitEntry] = order.prefix(5).map { i in
            let name: String? = names.flatMap { i < $0.count ? $0[i] : nil }
            return LogitEntry(classIndex: i, className: name, logit: row[i])
        }
        let label = input?.label
        return LogitsView(model: net.flavour, computedSteps: computedSteps, logits: row, top: top, label: label,
                          labelName: label.flatMap { l in input?.classNames.flatMap { l < $0.count ? $0[l] : nil } },
                          classNames: names, namesWarning: warning)
    }

    /// The weights pane: the selected layer's tensors in the current view's model.
    public func weightsView() throws -> WeightsView {
        guard let l = selectedLayer, let net = primaryNetwork else { throw SessionError.noModel }
        let dict = net.currentStateDict()
        let infos = net.layers.first { $0.path == l.path }?.parameters ?? []
        let rows = infos.compactMap { p -> WeightRow? in
            guard let t = dict[p.key], t.count > 0 else { return nil }
            return WeightRow(key: p.key, shape: p.shape, isParameter: p.isParameter, min: t.storage.min() ?? 0, max: t.storage.max() ?? 0,
                             meanAbs: t.storage.reduce(0) { $0 + abs($1) } / Float(t.count))
        }
        return WeightsView(path: l.path, model: net.flavour, rows: rows)
    }

    /// The energy pane over the computed timesteps (SPEC §9, R8), from the engine's `EnergyReport`
    /// on the unfused recording (rates of timesteps not computed yet do not count).
    public func energyView() throws -> EnergyView {
        guard let unfused else { throw SessionError.noModel }
        guard encodedInput != nil else { throw SessionError.noInput }
        let steps = computedSteps
        let report = EnergyReport(layers: unfused.layers, recorder: unfusedRecorder, timesteps: unfused.config.timesteps)
        let rows = report.layers.map {
            EnergyRow(path: $0.path, operation: $0.operation, flPerTimestep: $0.flPerTimestep, ratePerT: $0.rates.map { Array($0.prefix(steps)) },
                      sop: $0.sop ?? 0, picoJoules: $0.energyPJ)
        }
        return EnergyView(computedSteps: steps, rows: rows, totalSOP: report.sop, totalPicoJoules: report.totalPJ,
                          totalPicoJoulesConv0PerT: report.totalPJConv0TimesT)
    }
}
