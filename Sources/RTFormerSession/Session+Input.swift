import RTFormer

/// The input pane: what the model sees at the cursor's t (issue 14 point 3).
public struct InputView: Sendable, Equatable {
    /// How the input is drawn.
    public enum Kind: String, Sendable, Equatable {
        /// A static image: RGB in 0…1 after undoing the normalisation (grey for one channel).
        case image
        /// Event frames: ON (channel 0) and OFF (channel 1) counts at t.
        case events
    }

    /// A rectangle of input pixels, `[y0, y1) × [x0, x1)`.
    public struct Box: Sendable, Equatable {
        public var y0: Int, x0: Int, y1: Int, x1: Int
    }

    public var name: String
    public var kind: Kind
    public var t: Int
    public var timesteps: Int
    public var height: Int
    public var width: Int
    /// `image`: R, G, B planes `[3, H, W]` in 0…1. `events`: ON then OFF planes `[2, H, W]`,
    /// each scaled by the largest count of the frame at t (0…1).
    public var pixels: [Float]
    /// Largest ON / OFF count at t (events), to label the scale.
    public var eventPeak: Float
    /// Label and its class name, where the input has one.
    public var label: Int?
    public var labelName: String?
    /// Top-1 of the logits over the computed timesteps (nil before the head is built).
    public var top1: Int?
    public var top1Name: String?
    /// The normalisation undone (`CIFAR-10`), or how the pixels were scaled.
    public var scaling: String
    /// The selected neuron's position mapped back onto the input: its layer's (y, x) times the
    /// downsampling factor (input side / layer side); nil for a layer without a spatial grid.
    public var receptive: Box?
    /// The layer whose neuron is marked, and its downsampling factor.
    public var layer: String?
    public var factor: Int?
}

extension Session {
    /// The input pane's view model.
    /// - Throws: `noModel`, `noInput`.
    public func inputView() throws -> InputView {
        guard let cfg = config else { throw SessionError.noModel }
        guard let input, let encoded = encodedInput else { throw SessionError.noInput }
        let c = encoded.shape[2], h = encoded.shape[3], w = encoded.shape[4]
        let t = min(cursor.t, encoded.shape[0] - 1)
        let plane = h * w
        let frame = Array(encoded.storage[(t * c * plane)..<((t + 1) * c * plane)])
        var pixels: [Float]
        var kind = InputView.Kind.image
        var peak: Float = 0
        var scaling: String
        if c == 2 {
            kind = .events
            peak = frame.max() ?? 0
            pixels = frame.map { peak > 0 ? max(0, $0) / peak : 0 }
            scaling = "ON/OFF counts ÷ \(ColorScaleText.label(peak))"
        } else {
            let stats = encoding.stats ?? (input.summary.contains("CIFAR-100") ? .cifar100 : .cifar10)
            if c == 3 {
                pixels = frame
                for k in 0..<3 {
                    let sd = Float(stats.std[k]), mean = Float(stats.mean[k])
                    for i in 0..<plane {
                        let raw: Float = frame[k * plane + i] * sd + mean
                        pixels[k * plane + i] = Swift.min(1, Swift.max(0, raw))
                    }
                }
                scaling = "\(stats.name) normalisation undone"
            } else {
                // One (or an unusual number of) channel(s): grey from channel 0, min…max.
                let first = Array(frame.prefix(plane))
                let lo = first.min() ?? 0, hi = first.max() ?? 1
                let g = first.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
                pixels = g + g + g
                scaling = "grey, min…max"
            }
        }
        var box: InputView.Box?
        var factor: Int?
        var layerPath: String?
        if let l = selectedLayer, isBuilt(layerIndex: cursor.layerIndex) {
            let lay = layout(of: l)
            if lay.rows > 1 || lay.columns > 1, lay.rows <= h, lay.columns <= w {
                let f = max(1, h / lay.rows)
                let y = cursor.position / lay.columns, x = cursor.position % lay.columns
                box = InputView.Box(y0: y * f, x0: x * f, y1: min(h, (y + 1) * f), x1: min(w, (x + 1) * f))
                factor = f
                layerPath = l.path
            }
        }
        let logits = try? logitsView()
        let top = logits?.top.first
        let names = input.classNames
        return InputView(name: input.name, kind: kind, t: t, timesteps: cfg.timesteps, height: h, width: w, pixels: pixels,
                         eventPeak: peak, label: input.label, labelName: input.label.flatMap { l in names.flatMap { l < $0.count ? $0[l] : nil } },
                         top1: top?.classIndex, top1Name: top?.className, scaling: scaling, receptive: box, layer: layerPath, factor: factor)
    }
}

/// Number labels for text (three significant digits).
enum ColorScaleText {
    static func label(_ v: Float) -> String {
        if v == v.rounded(), abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%.3g", Double(v))
    }
}

extension Session {
    /// What the current input is over time (`.frames` without an input): both twins start on it
    /// with this kind, so a static image's encoding conv runs once.
    public var inputKind: InputKind { run.inputKind }
}
