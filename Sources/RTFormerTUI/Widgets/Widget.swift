/// Something that draws itself into a rectangle of a `Screen`.
///
/// Widgets are plain values built from view-model data; drawing never touches the terminal, and
/// a widget draws only inside `rect` (clipped to the screen). Characters and colours follow the
/// screen's `Appearance`.
public protocol Widget: Sendable {
    func draw(into screen: inout Screen, in rect: Rect)
}

extension Heatmap: Widget {}
extension Legend: Widget {}
extension TracePlot: Widget {}
extension Sparkline: Widget {}
extension BarChart: Widget {}
extension Table: Widget {}
extension LayerTree: Widget {}
extension TextBlock: Widget {}
extension Frame: Widget {}
extension StatusLine: Widget {}
extension HintBar: Widget {}
extension InputLine: Widget {}
