/// The normalisation after one RepDW5 branch: BatchNorm (`[N, C, H, W]` input, RepVGG/ACNet as
/// in `convbn_fuse.safetensors`) or TSBN_pre (`[T, B, C, H, W]` input, the RTFormer STCore).
public enum BranchNorm: Sendable, Equatable {
    case batch(BatchNorm)
    case temporal(TSBN)

    var channels: Int {
        switch self {
        case let .batch(n): n.channels
        case let .temporal(n): n.channels
        }
    }

    /// Float64 eval coefficients: `[C]` for BN, `[T, C]` row-major for TSBN.
    var coefficients: FoldCoefficients {
        switch self {
        case let .batch(n): FoldCoefficients(n)
        case let .temporal(n): FoldCoefficients(n)
        }
    }

    /// Timesteps of a TSBN, nil for BN.
    var timesteps: Int? {
        if case let .temporal(n) = self { return n.timesteps }
        return nil
    }
}

/// Spatial Core: the five-branch depthwise rep block (SPEC §5, paper Eq.4; ACNet/RepVGG).
///
/// Branches, all depthwise (`groups = C`), stride 1, no conv bias, each followed by its own norm:
/// 3×3 (pad 1,1), 1×3 (pad 0,1), 3×1 (pad 1,0), 1×1 (pad 0,0) and identity. Training/unfused
/// forward is the sum of the branch outputs (Eq.4); `fuse()` turns them into one 3×3 depthwise
/// kernel and bias (per timestep when the norms are TSBNs, SPEC §5.3).
///
/// state_dict keys (SPEC §6.4, under `<stcore>.rep.`): `k33.weight`, `k13.weight`, `k31.weight`,
/// `k11.weight`, `tsbn_k33.*`, `tsbn_k13.*`, `tsbn_k31.*`, `tsbn_k11.*`, `tsbn_id.*`.
public struct RepDW5: Sendable, Equatable {
    /// The branches in summation order (SPEC R6: k33, k13, k31, k11, id).
    public enum Branch: String, Sendable, CaseIterable {
        case k33, k13, k31, k11, identity

        /// Zero padding (H, W) that keeps the spatial size (ACNet `hor_padding`/`ver_padding`).
        public var padding: (h: Int, w: Int) {
            switch self {
            case .k33: (1, 1)
            case .k13: (0, 1)
            case .k31: (1, 0)
            case .k11, .identity: (0, 0)
            }
        }
    }

    /// Channels C.
    public let channels: Int
    /// 3×3 depthwise kernel `[C, 1, 3, 3]`.
    public var k33: Tensor
    /// 1×3 depthwise kernel `[C, 1, 1, 3]`.
    public var k13: Tensor
    /// 3×1 depthwise kernel `[C, 1, 3, 1]`.
    public var k31: Tensor
    /// 1×1 depthwise kernel `[C, 1, 1, 1]`.
    public var k11: Tensor
    public var norm33: BranchNorm
    public var norm13: BranchNorm
    public var norm31: BranchNorm
    public var norm11: BranchNorm
    /// The identity branch is a norm only (RepVGG `rbr_identity`).
    public var normIdentity: BranchNorm

    /// - Precondition: kernel shapes as documented, five norms of the same kind (all BN or all
    ///   TSBN with equal T) over C channels.
    public init(k33: Tensor, k13: Tensor, k31: Tensor, k11: Tensor,
                norm33: BranchNorm, norm13: BranchNorm, norm31: BranchNorm, norm11: BranchNorm, normIdentity: BranchNorm) {
        let c = k33.shape.first ?? 0
        precondition(k33.shape == [c, 1, 3, 3] && k13.shape == [c, 1, 1, 3] && k31.shape == [c, 1, 3, 1] && k11.shape == [c, 1, 1, 1],
                     "RepDW5: expected kernels [C,1,3,3], [C,1,1,3], [C,1,3,1], [C,1,1,1], got \(k33.shape), \(k13.shape), \(k31.shape), \(k11.shape)")
        let norms = [norm33, norm13, norm31, norm11, normIdentity]
        precondition(norms.allSatisfy { $0.channels == c }, "RepDW5: every branch norm must have \(c) channels, got \(norms.map(\.channels))")
        precondition(Set(norms.map { $0.timesteps ?? 0 }).count == 1,
                     "RepDW5: branch norms must all be BatchNorm or all TSBN with the same T, got T = \(norms.map { $0.timesteps.map(String.init) ?? "BN" })")
        channels = c
        self.k33 = k33; self.k13 = k13; self.k31 = k31; self.k11 = k11
        self.norm33 = norm33; self.norm13 = norm13; self.norm31 = norm31; self.norm11 = norm11
        self.normIdentity = normIdentity
    }

    /// Timesteps T when the norms are TSBNs, nil for BatchNorm.
    public var timesteps: Int? { norm33.timesteps }

    /// The kernel of a branch (`nil` for the identity).
    public func kernel(_ branch: Branch) -> Tensor? {
        switch branch {
        case .k33: k33
        case .k13: k13
        case .k31: k31
        case .k11: k11
        case .identity: nil
        }
    }

    /// The norm after a branch.
    public func norm(_ branch: Branch) -> BranchNorm {
        switch branch {
        case .k33: norm33
        case .k13: norm13
        case .k31: norm31
        case .k11: norm11
        case .identity: normIdentity
        }
    }

    /// One branch in eval mode: `norm(DWConv(x))` (identity: `norm(x)`).
    /// - Parameter x: `[N, C, H, W]` for BatchNorm branches, `[T, B, C, H, W]` for TSBN branches.
    /// - Returns: same shape as `x`.
    public func branchForward(_ branch: Branch, _ x: Tensor) -> Tensor {
        switch norm(branch) {
        case let .batch(bn):
            precondition(x.rank == 4 && x.shape[1] == channels, "RepDW5: BatchNorm branches take [N, \(channels), H, W], got \(x.shape)")
            return bn.forwardEval(depthwise(branch, x))
        case let .temporal(tsbn):
            precondition(x.rank == 5 && x.shape[0] == tsbn.timesteps && x.shape[2] == channels,
                         "RepDW5: TSBN branches take [\(tsbn.timesteps), B, \(channels), H, W], got \(x.shape)")
            let flat = x.reshaped([x.shape[0] * x.shape[1]] + Array(x.shape.dropFirst(2)))
            return tsbn.forwardEval(depthwise(branch, flat).reshaped(x.shape))
        }
    }

    /// Unfused eval forward, Eq.4: the sum of the five branch outputs in R6 order.
    /// - Parameter x: `[N, C, H, W]` (BatchNorm) or `[T, B, C, H, W]` (TSBN, e.g. spikes `s`).
    /// - Returns: same shape as `x`.
    public func forward(_ x: Tensor) -> Tensor {
        var out = branchForward(.k33, x)
        for branch in Branch.allCases.dropFirst() { out.add(branchForward(branch, x)) }
        return out
    }

    /// One branch folded with its norm and embedded in a 3×3 depthwise kernel (SPEC §5.3
    /// `E(W)`, RepVGG `_pad_1x1_to_3x3_tensor`, the identity as a centre 1; DBB
    /// `_add_to_square_kernel`), in Float64, rounded once.
    /// - Returns: weight `[C, 1, 3, 3]` and bias `[C]` (BN) or `[T, C, 1, 3, 3]` and `[T, C]` (TSBN).
    public func fusedBranch(_ branch: Branch) -> (weight: Tensor, bias: Tensor) {
        var (k, b) = zeroFused()
        accumulate(branch, kernel: &k, bias: &b)
        return packed(k, b)
    }

    /// The deploy form: all five branches in one 3×3 depthwise kernel (SPEC §5.3), summed in R6
    /// order in Float64 and rounded once (R5). Deploy: `r[t] = DWConv3×3(s[t]; weight[t], pad 1) + bias[t]`
    /// (`DeployConv.forwardPerTimestep` with `groups = C`); with BatchNorm branches a single conv.
    /// - Returns: weight `[C, 1, 3, 3]` and bias `[C]` (BN) or `[T, C, 1, 3, 3]` and `[T, C]` (TSBN),
    ///   the `<stcore>.rep.weight` / `.bias` deploy keys (R14).
    public func fuse() -> (weight: Tensor, bias: Tensor) {
        let (k, b) = fusedDouble()
        return packed(k, b)
    }

    /// The fused kernel `[T′, C, 9]` and bias `[T′, C]` in Float64 before the one rounding of
    /// SPEC R5 (T′ = T for TSBN branches, 1 for BN): the deploy twin of `DoubleCheck`.
    func fusedDouble() -> (kernel: [Double], bias: [Double]) {
        var (k, b) = zeroFused()
        for branch in Branch.allCases { accumulate(branch, kernel: &k, bias: &b) }
        return (k, b)
    }

    private func depthwise(_ branch: Branch, _ x: Tensor) -> Tensor {
        guard let w = kernel(branch) else { return x }
        let p = branch.padding
        return Conv2d.forward(x, weight: w, bias: nil, padH: p.h, padW: p.w, groups: channels)
    }

    /// Float64 accumulators: kernel `[T', C, 9]`, bias `[T', C]` with T' = T or 1.
    private func zeroFused() -> ([Double], [Double]) {
        let n = (timesteps ?? 1) * channels
        return ([Double](repeating: 0, count: n * 9), [Double](repeating: 0, count: n))
    }

    /// Adds `a·E(W)` and `b` of one branch, for every (t, c).
    private func accumulate(_ branch: Branch, kernel k: inout [Double], bias: inout [Double]) {
        let coeff = norm(branch).coefficients
        let w = kernel(branch)
        let (kh, kw) = (w?.shape[2] ?? 1, w?.shape[3] ?? 1)
        let (r0, c0) = ((3 - kh) / 2, (3 - kw) / 2)
        for tc in 0..<coeff.scale.count {
            let c = tc % channels
            let a = coeff.scale[tc]
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let tap = w.map { Double($0.storage[(c * kh + ky) * kw + kx]) } ?? 1
                    k[tc * 9 + (r0 + ky) * 3 + (c0 + kx)] += a * tap
                }
            }
            bias[tc] += coeff.shift[tc]
        }
    }

    private func packed(_ k: [Double], _ b: [Double]) -> (weight: Tensor, bias: Tensor) {
        if let t = timesteps {
            return (Tensor(shape: [t, channels, 1, 3, 3], storage: k.roundedToFloat),
                    Tensor(shape: [t, channels], storage: b.roundedToFloat))
        }
        return (Tensor(shape: [channels, 1, 3, 3], storage: k.roundedToFloat), Tensor(shape: [channels], storage: b.roundedToFloat))
    }
}
