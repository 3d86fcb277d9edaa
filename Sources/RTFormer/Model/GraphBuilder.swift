/// Walks a family's architecture once, creating units from a `WeightSource` and describing every
/// layer (path, kind, shapes, parameters, FL). The same walk serves seeded init, strict loading,
/// `rtformer info` and the session's `build next`.
final class GraphBuilder {
    let config: ModelConfig
    let flavour: ModelFlavour
    var weights: WeightSource
    private(set) var layers: [LayerInfo] = []
    /// Keys accepted and reported as unused (Spikformer's LayerNorms).
    private(set) var unusedKeys: [String] = []

    var timesteps: Int { config.timesteps }

    init(config: ModelConfig, flavour: ModelFlavour, weights: WeightSource) {
        self.config = config
        self.flavour = flavour
        self.weights = weights
    }

    func add(_ info: LayerInfo) { layers.append(info) }

    /// A TSBN's state_dict entries under `path` (SPEC §6.4).
    func tsbn(_ path: String, channels c: Int) -> (TSBN, [ParameterInfo]) {
        var l = TSBN(timesteps: timesteps, channels: c, window: config.tsbnWindow, eps: config.tsbnEps)
        let before = weights.requested.count
        l.weight = weights.take(path + ".weight", [timesteps, c], .constant(1)).storage
        l.bias = weights.take(path + ".bias", [timesteps, c], .constant(0)).storage
        l.runningMean = weights.take(path + ".running_mean", [timesteps, c], .constant(0), isParameter: false).storage
        l.runningVar = weights.take(path + ".running_var", [timesteps, c], .constant(1), isParameter: false).storage
        l.numBatchesTracked = weights.take(path + ".num_batches_tracked", [], .constant(0), isParameter: false).storage[0]
        return (l, Array(weights.requested[before...]))
    }

    /// A BatchNorm's state_dict entries under `path`.
    func batchNorm(_ path: String, channels c: Int) -> (BatchNorm, [ParameterInfo]) {
        var l = BatchNorm(channels: c)
        let before = weights.requested.count
        l.weight = weights.take(path + ".weight", [c], .constant(1)).storage
        l.bias = weights.take(path + ".bias", [c], .constant(0)).storage
        l.runningMean = weights.take(path + ".running_mean", [c], .constant(0), isParameter: false).storage
        l.runningVar = weights.take(path + ".running_var", [c], .constant(1), isParameter: false).storage
        l.numBatchesTracked = weights.take(path + ".num_batches_tracked", [], .constant(0), isParameter: false).storage[0]
        return (l, Array(weights.requested[before...]))
    }

    /// Which norm follows convs in this family.
    enum NormStyle { case tsbn, batchNorm }
    var normStyle: NormStyle { config.family == .rtformer ? .tsbn : .batchNorm }

    /// A conv (or token linear) + norm unit, described as one or two layers.
    /// - Parameters:
    ///   - inShape: per-sample input shape of one timestep (`[C, H, W]`, or `[N, C]` for linears).
    ///   - rateSource: the recorded binary tensor feeding it (nil: real-valued input → MAC).
    func convNorm(path: String, normPath: String, cin: Int, cout: Int, kernel: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0),
                  groups: Int = 1, bias: Bool, inShape: [Int], isLinear: Bool = false, rateSource: String?,
                  weightInit: ParameterInit, countsEnergy: Bool = true) -> ConvUnit {
        let unit = makeConvNorm(path: path, normPath: normPath, cin: cin, cout: cout, kernel: kernel, pad: pad, groups: groups,
                                bias: bias, inShape: inShape, isLinear: isLinear, rateSource: rateSource, weightInit: weightInit,
                                countsEnergy: countsEnergy)
        unit.inputIsSpikes = rateSource != nil
        return unit
    }

    private func makeConvNorm(path: String, normPath: String, cin: Int, cout: Int, kernel: (Int, Int), pad: (Int, Int),
                              groups: Int, bias: Bool, inShape: [Int], isLinear: Bool, rateSource: String?,
                              weightInit: ParameterInit, countsEnergy: Bool) -> ConvUnit {
        let wShape: [Int]
        let outShape: [Int]
        let fl: Int
        if isLinear {
            wShape = [cout, cin]
            outShape = Array(inShape.dropLast()) + [cout]
            fl = inShape.dropLast().product * cin * cout
        } else {
            wShape = [cout, cin / groups, kernel.0, kernel.1]
            let g = Conv2dGeometry(kernelH: kernel.0, kernelW: kernel.1, padH: pad.0, padW: pad.1)
            outShape = [cout, g.outH(inShape[1]), g.outW(inShape[2])]
            fl = kernel.0 * kernel.1 * outShape[1] * outShape[2] * cin * cout / groups
        }
        func kind(folded: LayerKind.FoldedNorm?) -> LayerKind {
            isLinear ? .linear(folded: folded) : .conv(kernelH: kernel.0, kernelW: kernel.1, depthwise: groups != 1, folded: folded)
        }
        // RepDW5 branches are not counted: energy counts the fused deploy kernel (SPEC §9).
        let op: OperationClass = !countsEnergy ? .none : (rateSource == nil ? .mac : .ac)
        let before = weights.requested.count
        let w = weights.take(path + ".weight", wShape, weightInit)
        switch flavour {
        case .unfused:
            let b = bias ? weights.take(path + ".bias", [cout], isLinear && config.family == .spikformer ? .constant(0) : .constant(0)) : nil
            add(LayerInfo(path: path, kind: kind(folded: nil), inputShape: inShape, outputShape: outShape,
                          parameters: Array(weights.requested[before...]), flPerTimestep: fl, inputIsBinary: rateSource != nil,
                          operation: op, rateSource: rateSource, isNeuron: false))
            let norm: NormKind
            let params: [ParameterInfo]
            switch normStyle {
            case .tsbn:
                let (t, p) = tsbn(normPath, channels: cout)
                norm = .tsbn(t)
                params = p
            case .batchNorm:
                let (bn, p) = batchNorm(normPath, channels: cout)
                norm = .batchNorm(bn)
                params = p
            }
            let normKind: LayerKind = normStyle == .tsbn ? .tsbn(identityBranch: false) : (isLinear ? .batchNorm1d : .batchNorm2d)
            add(LayerInfo(path: normPath, kind: normKind,
                          inputShape: outShape, outputShape: outShape, parameters: params, flPerTimestep: 0,
                          inputIsBinary: false, operation: .none, rateSource: nil, isNeuron: false))
            return ConvUnit(path: path, normPath: normPath, weight: w, bias: b, pad: pad, groups: groups, isLinear: isLinear, norm: norm)
        case .deploy:
            switch normStyle {
            case .tsbn:
                let scale = weights.take(path + ".scale", [timesteps, cout], .constant(1))
                let shift = weights.take(path + ".shift", [timesteps, cout], .constant(0))
                add(LayerInfo(path: path, kind: kind(folded: .affine), inputShape: inShape, outputShape: outShape,
                              parameters: Array(weights.requested[before...]), flPerTimestep: fl, inputIsBinary: rateSource != nil,
                              operation: op, rateSource: rateSource, isNeuron: false, isFolded: true))
                return ConvUnit(path: path, normPath: nil, weight: w, bias: nil, pad: pad, groups: groups, isLinear: isLinear,
                                norm: .affine(scale: scale.storage, shift: shift.storage))
            case .batchNorm:
                let b = weights.take(path + ".bias", [cout], .constant(0))
                add(LayerInfo(path: path, kind: kind(folded: .batchNorm), inputShape: inShape, outputShape: outShape,
                              parameters: Array(weights.requested[before...]), flPerTimestep: fl, inputIsBinary: rateSource != nil,
                              operation: op, rateSource: rateSource, isNeuron: false, isFolded: true))
                return ConvUnit(path: path, normPath: nil, weight: w, bias: b, pad: pad, groups: groups, isLinear: isLinear, norm: .none)
            }
        }
    }

    /// A LIF layer; `membrane` makes it a TSBN_mem-LIF (its TSBN under `<path>.tsbn`, SPEC R1).
    func lif(_ path: String, shape: [Int], parameters: LIFParameters = .standard, membrane: Bool = false) -> LIFUnit {
        let kind: LIFKind
        var params: [ParameterInfo] = []
        var neuron = LayerKind.Neuron.plain
        if membrane {
            let c = shape[0]
            switch flavour {
            case .unfused:
                let (t, p) = tsbn(path + ".tsbn", channels: c)
                kind = .tsbnMem(t)
                params = p
                neuron = .tsbnMembrane
            case .deploy:
                let before = weights.requested.count
                let theta = weights.take(path + ".theta", [timesteps, c], .constant(parameters.vThreshold))
                let sign = weights.take(path + ".sign", [timesteps, c], .constant(1), isParameter: false)
                let fc = weights.take(path + ".fire_const", [timesteps, c], .constant(0), isParameter: false)
                params = Array(weights.requested[before...])
                kind = .folded(theta: theta.storage, sign: sign.storage, fireConst: fc.storage)
                neuron = .foldedThreshold
            }
        } else {
            kind = .plain
        }
        add(LayerInfo(path: path, kind: .lif(neuron, vThreshold: parameters.vThreshold), inputShape: shape, outputShape: shape,
                      parameters: params, flPerTimestep: 0, inputIsBinary: false, operation: .none, rateSource: nil, isNeuron: true,
                      isFolded: membrane && flavour == .deploy))
        return LIFUnit(path: path, parameters: parameters, kind: kind, shape: shape)
    }

    /// A stateless layer (pooling, sums, means) for the table.
    func note(_ path: String, kind: LayerKind, input: [Int], output: [Int], fl: Int = 0, rateSource: String? = nil) {
        add(LayerInfo(path: path, kind: kind, inputShape: input, outputShape: output, parameters: [], flPerTimestep: fl,
                      inputIsBinary: rateSource != nil, operation: fl > 0 ? (rateSource == nil ? .mac : .ac) : .none,
                      rateSource: rateSource, isNeuron: false))
    }

    /// Parameters that exist in checkpoints but no forward uses (Spikformer `norm1`/`norm2`).
    func unused(_ key: String, _ shape: [Int], _ initial: ParameterInit) {
        _ = weights.take(key, shape, initial, isParameter: true, optional: true)
        unusedKeys.append(key)
    }
}
