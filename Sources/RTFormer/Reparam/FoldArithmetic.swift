/// Float64 eval coefficients of a normalisation, the starting point of every deploy fold.
///
/// SPEC R5: folds are computed in Float64 from the Float32 weights and rounded to Float32 once;
/// this reproduces the fixtures' `deploy_weights` bit for bit. The eval coefficients are
/// `a = γ/sqrt(running_var + ε)`, `b = β − a·running_mean`.
///
/// ε is a hyper-parameter given in decimal (1e-5) and stored here as a Float. The reference widens
/// the decimal, not the Float: `Double(Float(1e-5))` differs from `1e-5` by 2.5e-13, which moves 61
/// of the 2,304 fused STCore kernel entries of `rtformer_tiny` by one ulp. So ε is widened through
/// its shortest round-trip decimal (`widenedDecimal`); weights and statistics are widened exactly.
struct FoldCoefficients {
    /// `a`, one per (t, c) (row-major `[T, C]`) or per channel.
    var scale: [Double]
    /// `b`, same layout as `scale`.
    var shift: [Double]

    init(gamma: [Float], beta: [Float], runningMean: [Float], runningVar: [Float], eps: Float) {
        precondition(gamma.count == beta.count && gamma.count == runningMean.count && gamma.count == runningVar.count,
                     "fold: γ, β, running mean and running var must have equal length, got \(gamma.count), \(beta.count), \(runningMean.count), \(runningVar.count)")
        let e = eps.widenedDecimal
        var a = [Double](repeating: 0, count: gamma.count), b = a
        for i in gamma.indices {
            a[i] = Double(gamma[i]) / (Double(runningVar[i]) + e).squareRoot()
            b[i] = Double(beta[i]) - a[i] * Double(runningMean[i])
        }
        scale = a
        shift = b
    }

    init(_ norm: BatchNorm) {
        self.init(gamma: norm.weight, beta: norm.bias, runningMean: norm.runningMean, runningVar: norm.runningVar, eps: norm.eps)
    }

    init(_ norm: TSBN) {
        self.init(gamma: norm.weight, beta: norm.bias, runningMean: norm.runningMean, runningVar: norm.runningVar, eps: norm.eps)
    }
}

extension Float {
    /// The Double nearest to this Float's shortest decimal form (`Float(1e-5)` → `1e-5`), for
    /// hyper-parameters that were written in decimal. See `FoldCoefficients`.
    var widenedDecimal: Double {
        guard isFinite else { return Double(self) }
        return Double(description) ?? Double(self)
    }
}

extension Array where Element == Double {
    /// Rounds each element to Float32 once (SPEC R5).
    var roundedToFloat: [Float] { map { Float($0) } }
}
