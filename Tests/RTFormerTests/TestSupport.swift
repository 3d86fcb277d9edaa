import Testing
@testable import RTFormer

/// Largest |a − b| over two equally shaped tensors.
func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a.storage[i] - b.storage[i])) }
    return m
}

/// Number of positions where two 0/1 tensors differ.
func mismatches(_ a: Tensor, _ b: Tensor) -> Int {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    var n = 0
    for i in 0..<a.count where a.storage[i] != b.storage[i] { n += 1 }
    return n
}

/// Asserts shape equality, then closeness within `atol + rtol·max|expected|`.
func expectClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let d = maxAbsDiff(actual, expected)
    let tol = atol + rtol * expected.maxAbs
    #expect(d <= tol, "\(what): max |Δ| \(d) > tolerance \(tol)", sourceLocation: sourceLocation)
}
