/// What a view asks the engine about a layer's neurons and norms, answered from the graph's own
/// units (never from weight-key strings).
extension Network {
    /// The comparison LIF `path` makes at timestep `t` for channel `channel`:
    /// - plain and TSBN-LIFs: `value` = `V_th` (a TSBN-LIF compares Ĥ with it), `sign` 1;
    /// - folded deploy LIFs (SPEC R14): `sign·(H − θ[t, c]) ≥ 0`, i.e. `value` θ and `sign` ±1,
    ///   or where `sign` is 0 the constant decision `fire_const[t, c]` (1 fires always) as `value`.
    /// - Returns: nil for an unknown path or a `t`/`channel` out of range.
    public func threshold(of path: String, t: Int, channel: Int) -> (value: Float, sign: Float)? {
        guard let unit = lifUnits.first(where: { $0.path == path }), (0..<config.timesteps).contains(t), channel >= 0 else { return nil }
        switch unit.kind {
        case .plain, .tsbnMem:
            return (unit.parameters.vThreshold, 1)
        case let .folded(theta, sign, fireConst):
            let channels = theta.count / config.timesteps
            guard channels > 0 else { return nil }
            let i = t * channels + min(channel, channels - 1)
            return sign[i] == 0 ? (fireConst[i], 0) : (theta[i], sign[i])
        }
    }

    /// The folded thresholds of a deploy LIF as `ThresholdFold` (`θ`, sign, `fire_const`, each
    /// `[T, C]`); nil for unfolded neurons and unknown paths.
    public func thresholdFold(of path: String) -> ThresholdFold? {
        guard let unit = lifUnits.first(where: { $0.path == path }), case let .folded(theta, sign, fireConst) = unit.kind else { return nil }
        let shape = [config.timesteps, theta.count / max(1, config.timesteps)]
        return ThresholdFold(theta: Tensor(shape: shape, storage: theta), sign: Tensor(shape: shape, storage: sign),
                             fireConst: Tensor(shape: shape, storage: fireConst))
    }

    /// The TSBN at `path` as the model holds it now (running statistics included): a norm after a
    /// conv (`patch_embed.proj_tsbn`, TSBN_pre), or the membrane TSBN of a TSBN-LIF, addressed as
    /// `<lif>.tsbn` or by the LIF's own path. Nil where there is none (BN, deploy affines).
    public func tsbn(at path: String) -> TSBN? {
        for u in convUnits where u.normPath == path {
            if case let .tsbn(t) = u.norm { return t }
        }
        let lifPath = path.hasSuffix(".tsbn") ? String(path.dropLast(5)) : path
        for l in lifUnits where l.path == lifPath {
            if case let .tsbnMem(t) = l.kind { return t }
        }
        return nil
    }
}
