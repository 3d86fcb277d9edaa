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
}
