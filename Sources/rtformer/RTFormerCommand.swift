import ArgumentParser
import RTFormer

/// The `rtformer` executable: the terminal explorer and its scriptable subcommands (DESIGN §6).
@main
struct RTFormerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtformer",
        abstract: "Explore the RTFormer spiking transformer: build, step, compare unfused and deploy models.",
        version: RTFormerVersion.string,
        subcommands: [Tui.self, Info.self, Forward.self, Check.self, Eval.self, Merge.self, Convert.self, Energy.self, Calibrate.self, Bench.self, Plot.self, Repl.self,
                      ReplayCommand.self],
        defaultSubcommand: Tui.self
    )

    /// Runs the command line. `--help`, `--version` and the exit codes the commands choose (e.g.
    /// `check`'s 1) keep ArgumentParser's handling; a usage error (unknown option, bad value,
    /// missing argument) is one line on stderr and exit 2, like every other error of the tool.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success || error is ExitCode { exit(withError: error) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message + " (`rtformer help` lists the options)")
        }
    }
}
