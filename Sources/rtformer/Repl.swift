import ArgumentParser
import Foundation
import RTFormerSession

/// `rtformer repl`: the line REPL (used automatically when stdin/stdout is not a terminal).
struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Line REPL over the session command language (`help` lists the commands; `!!` repeats the last line).")

    @OptionGroup var options: SessionOptions

    func run() throws {
        let session = Session()
        let progress = ProgressPrinter()
        session.onProgress = progress.handler
        // Like the TUI (DESIGN §6): the built-in default model and the bundled input unless told otherwise.
        let preambleErrors = options.apply(to: session, defaults: true)
        progress.clear()
        for e in preambleErrors { FileHandle.standardError.write(Data((e + "\n").utf8)) }
        let interactive = isatty(STDIN_FILENO) != 0
        // At a terminal the user can fix it with a command; a piped run stops, as any error does (2).
        if !interactive, !preambleErrors.isEmpty { throw ExitCode(2) }
        if interactive { print("rtformer \(session.statusLine()) — `help` for commands, `quit` to leave") }
        var history: [String] = []
        var failed = false
        while true {
            if interactive {
                print("rtformer> ", terminator: "")
                fflush(nil)
            }
            guard var line = readLine() else { break }
            if line.trimmingCharacters(in: .whitespaces) == "!!" {
                guard let last = history.last else { print("no previous command"); continue }
                line = last
                print(line)
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                history.append(line)
            }
            let r = session.execute(line: line)
            progress.clear()
            if !r.output.isEmpty { print(r.output) }
            if let e = r.error {
                print(e)
                failed = true
            }
            if r.quit { break }
        }
        // Piped input behaves like replay: a failed command or expectation is a failed run.
        if !interactive, failed { throw ExitCode(1) }
    }
}
