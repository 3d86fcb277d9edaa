import ArgumentParser
import Foundation
import RTFormerSession
import RTFormerTUI

/// `rtformer tui` (and plain `rtformer`): the terminal explorer (DESIGN §5, §6). Falls back to the
/// line REPL when standard input or output is not a terminal, or the terminal cannot be driven.
struct Tui: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Terminal explorer (the default): panes for layers, membrane, TSBN, rates, diff, energy, logits.",
        discussion: """
            With no options it opens the bundled trained tiny model (digits) on bundled test digit 0 \
            (--index k: digit k). Press ? for the keys, : for the session command line, q to quit. When stdin or \
            stdout is not a terminal it runs the line REPL instead. RTFORMER_TUI_TIMING=FILE appends \
            key-to-flush timings to FILE (=1: rtformer-tui-timing.log).
            """)

    @OptionGroup var options: SessionOptions

    @Option(name: .long, help: "A .session script to replay first; then the explorer stays interactive.")
    var session: String?

    @Flag(name: .long, help: "Draw with ASCII characters only (terminals without Unicode).")
    var ascii = false

    @Flag(name: .customLong("no-color"), help: "Monochrome: no colours, shades and attributes only.")
    var noColor = false

    @Option(name: .long, parsing: .unconditional, help: "Use at most this many colours: 256, 8 or 0.")
    var colors: Int?

    func validate() throws {
        if let colors, ![256, 8, 0].contains(colors) { throw ValidationError("--colors must be 256, 8 or 0, not \(colors)") }
    }

    func run() throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else { return try runRepl() }
        let session = ExplorerSession.make()
        var app = ExplorerApp(size: Size(width: 80, height: 24))
        // Building, calibrating and the first timestep of a large model take seconds: a progress
        // line on the terminal instead of a blank screen until the explorer opens.
        let progress = ProgressPrinter(quietSeconds: 0)
        session.onProgress = progress.handler
        defer { session.onProgress = nil }
        var initialLayerSelected = false
        for line in options.preamble(defaults: true) {
            // The first TSBN-LIF is selected before the input runs, so its membranes are recorded
            // from t = 0 instead of recomputed for the first frame.
            if !initialLayerSelected, line.hasPrefix("input "), let layer = ExplorerSession.initialLayerCommand(in: session) {
                session.execute(line: layer, lineNumber: 0)
                initialLayerSelected = true
            }
            let result = session.execute(line: line, lineNumber: 0)
            progress.clear()
            if let error = result.error {
                FileHandle.standardError.write(Data("rtformer: `\(line)`: \(error.hasPrefix("error: ") ? String(error.dropFirst(7)) : error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let line = ExplorerSession.initialLayerCommand(in: session) { session.execute(line: line, lineNumber: 0) }
        progress.clear()
        // The explorer owns the screen from here: it draws progress itself (`ExplorerLoop`).
        session.onProgress = nil
        app.show("space steps, ? lists the keys, : runs session commands, q quits")
        if let script = self.session {
            let result = try Replay.run(file: script, in: session)
            app.replay(result, file: script)
        }
        var terminalOptions = Terminal.Options(ascii: ascii)
        if noColor { terminalOptions.colors = .monochrome } else if let colors { terminalOptions.colors = ColorMode(terminalColors: colors) }
        let timing = ProcessInfo.processInfo.environment["RTFORMER_TUI_TIMING"].map { $0 == "1" ? "rtformer-tui-timing.log" : $0 }
        do {
            try ExplorerLoop.run(app: app, session: session, options: terminalOptions, timingLog: timing)
        } catch let error as TerminalError {
            FileHandle.standardError.write(Data("rtformer: \(error); running the line REPL instead\n".utf8))
            try runRepl()
        }
    }

    /// The plain REPL with the same model, weights and input options.
    private func runRepl() throws {
        var arguments: [String] = []
        if let m = options.model { arguments += ["--model", m] }
        if let w = options.weights { arguments += ["--weights", w] }
        if let i = options.input { arguments += ["--input", i] }
        if let n = options.index { arguments += ["--index", String(n)] }
        if let f = options.format { arguments += ["--format", f] }
        if options.uncalibrated { arguments.append("--uncalibrated") }
        let repl = try Repl.parse(arguments)
        try repl.run()
    }
}
