import Foundation
import RTFormer

/// The file formats of `export png|svg|csv FILE [pane]`.
public enum FigureFormat: String, Sendable, Equatable, CaseIterable {
    /// A raster figure through libpng.
    case png
    /// A vector figure (SVG 1.1 text).
    case svg
    /// The numbers behind the figure, comma-separated with a header row.
    case csv
}

/// The panes that export as figures and tables.
public enum FigurePane: String, Sendable, Equatable, CaseIterable {
    /// Firing-rate heatmap of the selected layer at t (fraction of channels firing per position).
    case rates
    /// The chosen neuron's membrane trace over t: input current, H (or Ĥ), V, threshold, spikes.
    case membrane
    /// TSBN curves at t over the channels: γ, β, μ, σ², θ.
    case tsbn
    /// The logits (mean over computed timesteps), bars from 0.
    case logits
    /// The selected block's attention at t: SSA the head's token × token map, SDSA the KV sums per channel.
    case attention
    /// Spikes × t of the selected layer (PaneFigures+Raster.swift).
    case raster
}

extension Session {
    /// The figure of `pane` from the same view model the pane draws.
    /// - Throws: the view's `SessionError` (no model, no input, not a neuron layer, not a TSBN).
    public func figure(of pane: FigurePane) throws -> Figure {
        let model = primaryNetwork?.flavour.rawValue ?? "unfused"
        switch pane {
        case .rates:
            let v = try ratesView()
            let marker = cursor.position < v.rows * v.columns ? (row: cursor.position / max(1, v.columns), column: cursor.position % max(1, v.columns)) : nil
            return Figure(title: "firing rate · \(v.path) · t \(v.t) · \(model)", xLabel: "column (x)", yLabel: "row (y)",
                          content: .heatmap(.init(rows: v.rows, columns: v.columns, values: v.positionMap, lower: 0, upper: 1,
                                                  colorbarLabel: "fraction of channels firing", marker: marker)))
        case .membrane:
            let v = try membraneView(for: primaryNetwork?.flavour ?? .unfused)
            let pts = v.trace
            func series(_ name: String, _ key: (TracePoint) -> Float?, dashed: Bool = false) -> Figure.Series {
                Figure.Series(name, pts.map { PlotPoint(Double($0.t), key($0).map(Double.init) ?? .nan) }, dashed: dashed)
            }
            var s = [series("X (input current)", \.x), series("H (charged)", \.h)]
            if v.comparedQuantity != "H" { s.append(series(v.comparedQuantity + " (compared)", \.compared)) }
            // V equals H wherever the neuron did not spike: dashed, so the H line under it stays visible.
            s += [series("V (after reset, dashed)", \.v, dashed: true), series("threshold", \.threshold, dashed: true)]
            s.append(Figure.Series("spike", pts.compactMap { p in p.spike == true ? PlotPoint(Double(p.t), Double(p.compared ?? p.h ?? 0)) : nil },
                                   markers: true))
            return Figure(title: "membrane · \(v.path) · c \(v.channel) (y \(v.y), x \(v.x)) · \(model)", xLabel: "timestep t",
                          yLabel: "membrane potential", content: .lines(s))
        case .tsbn:
            let v = try tsbnView()
            let c = v.channels
            func series(_ name: String, _ key: (TSBNChannelRow) -> Float?) -> Figure.Series {
                Figure.Series(name, c.map { PlotPoint(Double($0.channel), key($0).map(Double.init) ?? .nan) })
            }
            var s = [series("γ(t)", \.gamma), series("β(t)", \.beta), series("μ (\(v.statistics))", \.mean), series("σ² (\(v.statistics))", \.variance)]
            if c.contains(where: { $0.theta != nil }) { s.append(series("θ(t) (\(v.fold.rawValue) fold)", \.theta)) }
            return Figure(title: "TSBN · \(v.path) · t \(v.t) · window L \(v.windowLength)", xLabel: "channel", yLabel: "value",
                          content: .lines(s))
        case .logits:
            let v = try logitsView()
            let bars = v.logits.enumerated().map { i, x in (label: v.classNames.flatMap { i < $0.count ? $0[i] : nil } ?? "class \(i)", value: Double(x)) }
            return Figure(title: "logits · mean over \(v.computedSteps) step(s) · \(v.model.rawValue)", xLabel: "class", yLabel: "logit",
                          content: .bars(bars))
        case .attention: return try attentionFigure()
        case .raster: return try rasterFigure()
        }
    }

    /// The numbers behind `figure(of: pane)` as CSV (header row, then one row per cell, timestep,
    /// channel or class; floats as Swift prints them, which round-trip exactly).
    public func csv(of pane: FigurePane) throws -> String {
        func f(_ x: Float?) -> String { x.map { "\($0)" } ?? "" }
        var lines: [String]
        switch pane {
        case .rates:
            let v = try ratesView()
            lines = ["row,column,fraction_firing"]
            for r in 0..<v.rows { for c in 0..<v.columns { lines.append("\(r),\(c),\(v.positionMap[r * v.columns + c])") } }
        case .membrane:
            let v = try membraneView(for: primaryNetwork?.flavour ?? .unfused)
            lines = ["t,computed,x,h,compared,v,spike,threshold"]
            for p in v.trace {
                lines.append("\(p.t),\(p.computed ? 1 : 0),\(f(p.x)),\(f(p.h)),\(f(p.compared)),\(f(p.v)),\(p.spike.map { $0 ? "1" : "0" } ?? ""),\(f(p.threshold))")
            }
        case .tsbn:
            let v = try tsbnView()
            lines = ["channel,gamma,beta,mean,variance,scale,shift,theta,sign"]
            for c in v.channels {
                lines.append("\(c.channel),\(f(c.gamma)),\(f(c.beta)),\(f(c.mean)),\(f(c.variance)),\(f(c.scale)),\(f(c.shift)),\(f(c.theta)),\(f(c.sign))")
            }
        case .logits:
            let v = try logitsView()
            lines = ["class,name,logit"]
            for (i, x) in v.logits.enumerated() {
                let name = v.classNames.flatMap { i < $0.count ? $0[i] : nil } ?? ""
                lines.append("\(i),\(Self.csvField(name)),\(x)")
            }
        case .attention: lines = try attentionCSV()
        case .raster: lines = try rasterCSV()
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// Writes `pane` (the TUI's focused pane when nil; `rates` from the REPL) as `format` to
    /// `path`, all or nothing.
    func exportFigure(_ format: FigureFormat, _ path: String, pane: FigurePane?) throws -> String {
        let pane = pane ?? focusedFigurePane ?? .rates
        let full = resolve(path)
        do {
            switch format {
            case .csv:
                let text = try csv(of: pane)
                try AtomicFile.write(text, to: full)
                return "wrote the \(pane.rawValue) numbers (\(text.split(separator: "\n").count - 1) rows) to \(path)"
            case .svg:
                let fig = try figure(of: pane)
                try AtomicFile.write(FigureSVG.render(fig), to: full)
                return "wrote the \(pane.rawValue) figure (SVG \(fig.width)x\(fig.height)) to \(path)"
            case .png:
                let fig = try figure(of: pane)
                let r = FigureRaster.render(fig)
                try PNGWriter.write(rgb: r.pixels, width: r.width, height: r.height, to: full)
                return "wrote the \(pane.rawValue) figure (PNG \(r.width)x\(r.height)) to \(path)"
            }
        } catch let e as FileWriteError {
            throw SessionError.writeFailed(path: path, reason: e.reason)
        }
    }
}
