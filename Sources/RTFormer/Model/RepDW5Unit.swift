/// The five-branch depthwise Spatial Core (SPEC §5), unfused: Σ_i norm_i(DWConv_i(s)), summed
/// k33, k13, k31, k11, id (R6). Deploy replaces it by one per-timestep 3×3 `ConvUnit`.
final class RepDW5Unit {
    let path: String
    /// k33, k13, k31, k11 branch convs with their TSBNs.
    let branches: [ConvUnit]
    /// The identity branch's norm (a `ConvUnit` whose linear part is the identity).
    let identity: ConvUnit

    init(path: String, branches: [ConvUnit], identity: ConvUnit) {
        self.path = path
        self.branches = branches
        self.identity = identity
    }

    func reset() {
        branches.forEach { $0.reset() }
        identity.reset()
    }

    func forward(_ x: Tensor, _ ctx: RunContext) throws -> Tensor {
        var sum = try branches[0].forward(x, ctx)
        for br in branches.dropFirst() { sum.add(try br.forward(x, ctx)) }
        try ctx.enter(path)
        var id = x
        try identity.applyNorm(&id, ctx)
        sum.add(id)
        return sum
    }
}
