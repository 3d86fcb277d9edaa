/// The one closeness rule of the project, shared by the equivalence verdicts (`Equivalence`,
/// `DatasetEvaluation`) and the tests that compare with PyTorch's fixtures.
///
/// `actual` is close to `reference` when, element by element,
///
///     |actual − reference| ≤ absolute + relative · |reference|
///
/// — `numpy.allclose`'s rule, with the reference on the right. Unlike swift-numerics'
/// `isApproximatelyEqual(to:absoluteTolerance:relativeTolerance:)`, which is symmetric and takes
/// the larger of the two bounds (`max(absolute, relative · max(|a|, |b|))`), this one is
/// asymmetric (the reference decides the scale) and adds the bounds; NaN is never close.
/// A comparison whose scale is a whole tensor (the tests' `rtol · max|ref|`) sets `absolute`
/// from that scale: `Tolerance.scaled(relative:absolute:referenceMax:)`.
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
    /// Bound independent of the values (same unit as the tensors).
    public var absolute: Float
    /// Bound as a fraction of |reference|.
    public var relative: Float

    public init(absolute: Float, relative: Float) {
        self.absolute = absolute
        self.relative = relative
    }

    /// The equivalence checks' tolerance for a layer whose reference peaks at `referenceMax`:
    /// relative 1e-5 and absolute 1e-5 · max|ref| — a few float32 ulps of the layer's scale,
    /// what reassociating the folded sums (conv+BN, DW kernels, TSBN fold) may cost.
    public static func equivalence(referenceMax: Float) -> Tolerance {
        Tolerance(absolute: 1e-5 * referenceMax, relative: 1e-5)
    }

    /// `absolute + relative · max|ref|` as one absolute bound for every element (the fixture
    /// tests' rule: float32 kernels against PyTorch's, where summation order differs).
    public static func scaled(relative: Float, absolute: Float, referenceMax: Float) -> Tolerance {
        Tolerance(absolute: absolute + relative * referenceMax, relative: 0)
    }

    /// Whether one element is close.
    @inline(__always)
    public func accepts(_ actual: Float, reference: Float) -> Bool {
        abs(actual - reference) <= absolute + relative * abs(reference)
    }

    /// Whether every element is close, and the largest |actual − reference| (∞ for NaN).
    /// - Precondition: equal shapes.
    public func check(_ actual: Tensor, reference: Tensor) -> (close: Bool, maxAbs: Float) {
        precondition(actual.shape == reference.shape, "Tolerance.check: shapes \(actual.shape) vs \(reference.shape)")
        var ok = true, worst: Float = 0
        for (a, r) in zip(actual.storage, reference.storage) {
            let d = abs(a - r)
            if !(d <= absolute + relative * abs(r)) { ok = false }
            worst = max(worst, d.isNaN ? .infinity : d)
        }
        return (ok, worst)
    }

    public var description: String { relative == 0 ? "|Δ| ≤ \(absolute)" : "|Δ| ≤ \(absolute) + \(relative)·|ref|" }
}
