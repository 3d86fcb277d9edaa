#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RTFormerSession

/// The interactive loop: terminal keys → `ExplorerApp.handle` → session commands →
/// `ExplorerRenderer.render` → `Terminal.flush`. While playing, keys are read with the play
/// interval as timeout and a timeout steps.
public enum ExplorerLoop {
    /// Runs the explorer until the session quits. The terminal is restored on return, on a thrown
    /// error and on SIGINT/SIGTERM (`Terminal`).
    /// - Parameters:
    ///   - timingLog: a file to append one line per key to: the key, the commands it ran, and the
    ///     milliseconds from the key's arrival to the end of `handle`, of rendering and of the flush
    ///     (`RTFORMER_TUI_TIMING`).
    /// - Throws: `TerminalError` when the terminal cannot be used (callers fall back to the REPL).
    public static func run(app: ExplorerApp, session: Session, options: Terminal.Options, timingLog: String? = nil) throws {
        var app = app
        let log = timingLog.flatMap { path -> FileHandle? in
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = FileHandle(forWritingAtPath: path)
            handle?.seekToEndOfFile()
            return handle
        }
        defer { try? log?.close() }
        try Terminal.run(options) { terminal in
            app.size = terminal.size
            var lastScreen = draw(&app, session: session, terminal: terminal).screen
            // Long work inside a command (recomputing a layer's membranes, a diff's replay, a
            // model build) draws its progress on the bottom row of the last frame.
            var lastProgress = ContinuousClock.now
            session.onProgress = { p in
                let now = ContinuousClock.now
                guard now - lastProgress > .milliseconds(100) || p.done == p.total && p.total > 0 else { return }
                lastProgress = now
                var screen = lastScreen
                let y = screen.size.height - 1
                let text = " " + p.line
                screen.write(text + String(repeating: " ", count: max(0, screen.size.width - text.count)), x: 0, y: y, style: .reverse)
                terminal.flush(screen)
            }
            defer { session.onProgress = nil }
            TerminalGuard.debugTrapIfRequested()
            while !app.shouldQuit {
                let key = terminal.readKey(timeoutMilliseconds: app.isPlaying ? app.playInterval : nil)
                let start = ContinuousClock.now
                app.handle(key, session: session)
                if app.shouldQuit { break }
                let handled = ContinuousClock.now
                if app.needsFullRedraw {
                    terminal.redrawAll()
                    app.needsFullRedraw = false
                }
                let (rendered, flushed, screen) = draw(&app, session: session, terminal: terminal)
                lastScreen = screen
                if let log {
                    let line = "key=\(ExplorerApp.describe(key)) commands=\(app.lastCommands.joined(separator: ";").replacingOccurrences(of: " ", with: "_"))"
                        + " handle_ms=\(ms(handled - start)) render_ms=\(ms(rendered - handled)) flush_ms=\(ms(flushed - rendered))"
                        + " total_ms=\(ms(flushed - start)) size=\(terminal.size)\n"
                    log.write(Data(line.utf8))
                }
            }
        }
    }

    @discardableResult
    private static func draw(_ app: inout ExplorerApp, session: Session, terminal: Terminal)
        -> (rendered: ContinuousClock.Instant, flushed: ContinuousClock.Instant, screen: Screen)
    {
        app.size = terminal.size
        let (screen, offsets, columns) = ExplorerRenderer.renderFrame(app, session: session, size: terminal.size,
                                                                      appearance: terminal.appearance)
        app.scrollOffsets = offsets
        app.columnOffsets = columns
        let rendered = ContinuousClock.now
        terminal.flush(screen)
        return (rendered, ContinuousClock.now, screen)
    }

    private static func ms(_ d: Duration) -> String {
        let c = d.components
        return String(format: "%.3f", Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15)
    }
}
