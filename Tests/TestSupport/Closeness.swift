import RTFormer
import Testing

/// Largest |a − b| over two equally shaped tensors (∞ where either is NaN).
public func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    Tolerance(absolute: 0, relative: 0).check(a, reference: b).maxAbs
}

/// Number of positions where two 0/1 tensors differ.
public func mismatches(_ a: Tensor, _ b: Tensor) -> Int {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    var n = 0
    for i in 0..<a.count where a.storage[i] != b.storage[i] { n += 1 }
    return n
}

/// Asserts shape equality, then closeness by the project's one rule (`Tolerance`) with the
/// absolute bound `atol + rtol·max|expected|` (`Tolerance.scaled`).
public func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let tolerance = Tolerance.scaled(relative: rtol, absolute: atol, referenceMax: expected.maxAbs)
    let (close, worst) = tolerance.check(actual, reference: expected)
    #expect(close, "\(what): max |Δ| \(worst) > tolerance \(tolerance)", sourceLocation: sourceLocation)
}
