import Foundation
import RTFormer

/// The raster pane as a figure and as numbers (`export png|svg|csv FILE raster`, `rtformer plot
/// --kind raster`).
extension Session {
    /// Spikes as a heatmap: one row per neuron of the raster (the selected channel's positions,
    /// or the k most active neurons), one column per t; 1 a spike, 0 silent, NaN not computed.
    /// - Throws: as `rasterView()`.
    func rasterFigure() throws -> Figure {
        let v = try rasterView()
        let model = primaryNetwork?.flavour.rawValue ?? "unfused"
        let values = v.rows.flatMap { r in r.spikes.map { $0.map { $0 ? 1.0 : 0.0 } ?? .nan } }
        let rows: String
        switch v.mode {
        case .channel: rows = "channel \(v.channel)"
        case let .top(k): rows = "top \(k) of \(v.neurons)"
        }
        return Figure(title: "raster · \(v.path) · \(rows) · \(model)", xLabel: "timestep t",
                      yLabel: v.mode == .channel ? "neuron (position y·W + x)" : "neuron (by spike count)",
                      content: .heatmap(.init(rows: v.rows.count, columns: v.timesteps, values: values, lower: 0, upper: 1,
                                              colorbarLabel: "spike (1) / silent (0)",
                                              marker: v.selectedRow.map { (row: $0, column: v.t) })))
    }

    /// One row per neuron: channel, position, y, x, S at each t (empty: not computed), spike
    /// count; then a row `per_t` with the spike count of each t over the rows.
    func rasterCSV() throws -> [String] {
        let v = try rasterView()
        var lines = ["channel,position,y,x," + (0..<v.timesteps).map { "t\($0)" }.joined(separator: ",") + ",count"]
        for r in v.rows {
            lines.append("\(r.channel),\(r.position),\(r.y),\(r.x)," + r.spikes.map { $0.map { $0 ? "1" : "0" } ?? "" }.joined(separator: ",")
                         + ",\(r.count)")
        }
        lines.append("per_t,,,," + v.perT.map { $0.map(String.init) ?? "" }.joined(separator: ",") + ",\(v.rows.reduce(0) { $0 + $1.count })")
        return lines
    }
}
