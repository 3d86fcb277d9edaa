/// Energy of one layer per sample (SPEC §9, R8).
public struct EnergyLayer: Sendable, Equatable {
    public var path: String
    public var operation: OperationClass
    /// FL per timestep (all inputs active).
    public var flPerTimestep: Int
    /// Firing rate of the layer's binary input per timestep (AC layers).
    public var rates: [Double]?
    /// Σ_t fr[t]·FL (AC layers).
    public var sop: Double?
    /// Energy in pJ: E_AC·SOP for AC layers; E_MAC·FL for conv0 (counted once); E_MAC·FL·T for
    /// other layers whose input is not binary.
    public var energyPJ: Double
}

/// The energy estimate of one run (SPEC §9, paper Eq.8):
/// `E = E_MAC·FL(conv0) + E_AC·Σ SOP(l)`, `SOP(l) = Σ_t fr_l[t]·FL(l)`, E_MAC 4.6 pJ, E_AC 0.9 pJ
/// (45 nm, Horowitz ISSCC'14). Per sample (rates average over the batch).
public struct EnergyReport: Sendable {
    public static let eMAC = 4.6
    public static let eAC = 0.9

    public var layers: [EnergyLayer]
    public var timesteps: Int
    /// Total in pJ with conv0 counted once (a static image repeated over T).
    public var totalPJ: Double
    /// Total in pJ with conv0 counted T times (event input, or Spikformer's recomputation).
    public var totalPJConv0TimesT: Double
    public var sop: Double
    /// Σ FL per timestep of AC layers.
    public var acFLPerTimestep: Int
    /// Layers after conv0 counted as MAC because their input is not binary (SEW residual sums).
    public var nonBinaryMACLayers: [String]

    public var totalMJ: Double { totalPJ * 1e-9 }
    public var totalMJConv0TimesT: Double { totalPJConv0TimesT * 1e-9 }

    /// - Parameters:
    ///   - layers: the model's layers (`Network.layers`).
    ///   - recorder: a finished run's recorder (rates of every AC layer's input).
    public init(layers: [LayerInfo], recorder: Recorder, timesteps: Int) {
        self.timesteps = timesteps
        var out: [EnergyLayer] = []
        var total = 0.0, conv0 = 0.0, sop = 0.0, acFL = 0
        var nonBinary: [String] = []
        var seenConv0 = false
        for l in layers where l.operation != .none && l.flPerTimestep > 0 {
            switch l.operation {
            case .mac:
                if !seenConv0 {
                    seenConv0 = true
                    conv0 = Self.eMAC * Double(l.flPerTimestep)
                    out.append(EnergyLayer(path: l.path, operation: .mac, flPerTimestep: l.flPerTimestep, rates: nil, sop: nil, energyPJ: conv0))
                } else {
                    let e = Self.eMAC * Double(l.flPerTimestep) * Double(timesteps)
                    total += e
                    nonBinary.append(l.path)
                    out.append(EnergyLayer(path: l.path, operation: .mac, flPerTimestep: l.flPerTimestep, rates: nil, sop: nil, energyPJ: e))
                }
            case .ac:
                let rates = l.rateSource.flatMap { recorder.rates[$0] } ?? []
                let s = rates.filter { !$0.isNaN }.reduce(0) { $0 + $1 * Double(l.flPerTimestep) }
                sop += s
                acFL += l.flPerTimestep
                total += Self.eAC * s
                out.append(EnergyLayer(path: l.path, operation: .ac, flPerTimestep: l.flPerTimestep, rates: rates, sop: s, energyPJ: Self.eAC * s))
            case .none:
                break
            }
        }
        self.layers = out
        totalPJ = total + conv0
        totalPJConv0TimesT = total + conv0 * Double(timesteps)
        self.sop = sop
        acFLPerTimestep = acFL
        nonBinaryMACLayers = nonBinary
    }
}
